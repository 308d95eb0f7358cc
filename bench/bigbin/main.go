// bigbin is a deliberately large Go binary for goaudit's benchmarks: a wide slice of the
// standard library (so the pclntab, types and DWARF are big) plus an embedded blob that
// bench/run.sh generates, to reach about 100 MB.
package main

import (
	_ "crypto/tls"
	_ "database/sql"
	"embed"
	_ "encoding/xml"
	"fmt"
	_ "go/types"
	_ "html/template"
	_ "image/jpeg"
	_ "image/png"
	_ "net/http"
	_ "net/mail"
	_ "net/rpc/jsonrpc"
	"os"
	_ "regexp"
	_ "text/template"
)

//go:embed blob
var blob embed.FS

func main() {
	b, _ := blob.ReadFile("blob")
	fmt.Println(len(b), len(os.Args))
}
