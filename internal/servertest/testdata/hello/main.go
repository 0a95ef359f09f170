// Command hello prints a listening line and a greeting and exits: the
// smallest thing servertest's TestBuild can build and start.
package main

import "fmt"

func main() {
	fmt.Println("uketsuke: listening on http://127.0.0.1:1")
	fmt.Println("hello from testdata")
}
