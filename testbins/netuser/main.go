// Command netuser reaches the three parts of the standard library whose
// implementation depends on cgo and build tags: the DNS resolver, the HTTP
// client (which dials through the resolver) and os/user. goaudit's tests build
// it with many flag combinations and check what each binary really contains.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os/user"
	"time"
)

func main() {
	addrs, err := net.LookupHost("localhost")
	fmt.Println("lookup localhost:", addrs, err)

	// Port 1 on loopback is expected to refuse; only the code path matters.
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1:1/")
	if err == nil {
		fmt.Println("http:", resp.Status)
		resp.Body.Close()
	} else {
		fmt.Println("http error:", err)
	}

	u, err := user.Current()
	if err == nil {
		fmt.Println("user:", u.Username, u.Uid, u.HomeDir)
	} else {
		fmt.Println("user error:", err)
	}
}
