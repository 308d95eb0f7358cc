// embedstr: a known string literal and a known 1 MiB go:embed file in one package
// (example.com/embedstr/assets), for goaudit's size-attribution tests. The test writes
// assets/blob.bin (1 MiB, deterministic) before building.
package main

import (
	"fmt"

	"example.com/embedstr/assets"
)

func main() {
	fmt.Println(assets.Greeting(), assets.BlobSize())
}
