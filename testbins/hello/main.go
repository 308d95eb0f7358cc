// Command hello prints one line. It links neither net nor os/user, so cgo
// settings and tags leave its code unchanged: the control case for goaudit.
package main

import "fmt"

func main() {
	fmt.Println("hello, world")
}
