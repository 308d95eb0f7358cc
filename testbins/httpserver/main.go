// Command httpserver is a plain net/http server: no explicit DNS lookup and no os/user,
// the way most Go services look. On darwin it still resolves names through libc
// (getaddrinfo via net.cgoLookupIP and internal/syscall/unix.Getaddrinfo) even with
// CGO_ENABLED=0, which is what goaudit's verdicts must report.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from", r.Host)
	})
	log.Fatal(http.ListenAndServe(addr, nil))
}
