// Command httpserver is a plain net/http server: no explicit DNS lookup and no os/user,
// the way most Go services look. On darwin it still resolves names through libc
// (getaddrinfo via net.cgoLookupIP and internal/syscall/unix.Getaddrinfo) even with
// CGO_ENABLED=0, which is what goaudit's verdicts must report.
//
// With -once it serves one request to itself on a loopback port the kernel picks,
// prints the answer and exits, so tests can run it and compare its behaviour.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
)

func handler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, "hello from", r.URL.Path)
}

func main() {
	http.HandleFunc("/", handler)
	if len(os.Args) > 1 && os.Args[1] == "-once" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		go http.Serve(ln, nil)
		resp, err := http.Get("http://" + ln.Addr().String() + "/once")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		fmt.Print(string(body))
		return
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	log.Fatal(http.ListenAndServe(addr, nil))
}
