// Command depdiff hashes its arguments. Built with `-tags extra` it also links one
// more module (github.com/beorn7/perks) for a quantile summary: the two builds differ
// by exactly one dependency, which `goaudit diff` tests read.
package main

import (
	"fmt"
	"os"

	"github.com/cespare/xxhash/v2"
)

// extra is set by extra.go when built with -tags extra.
var extra func(args []string) string

func main() {
	for _, a := range os.Args[1:] {
		fmt.Printf("%016x %s\n", xxhash.Sum64String(a), a)
	}
	if extra != nil {
		fmt.Println(extra(os.Args[1:]))
	}
}
