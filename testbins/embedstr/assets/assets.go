// Package assets owns a string literal and an embedded file.
package assets

import _ "embed"

//go:embed blob.bin
var blob []byte

// Greeting returns a string literal only this package uses.
//
//go:noinline
func Greeting() string {
	return "goaudit golden string literal: 7f3c9a1e-embedstr-assets"
}

// BlobSize reads the embedded file.
//
//go:noinline
func BlobSize() int {
	return len(blob) + int(blob[len(blob)/2])
}
