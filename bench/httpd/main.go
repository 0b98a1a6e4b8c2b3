// Command httpd is a tiny static HTTP server for the network benchmark:
// unlike busybox httpd it keeps connections alive, so the benchmark
// measures the network path rather than connection set-up. Built with
// CGO_ENABLED=0 and bind-mounted into a busybox container.
package main

import (
	"log"
	"net/http"
	"strings"
)

func main() {
	page := []byte(strings.Repeat("x", 1024))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write(page) })
	log.Fatal(http.ListenAndServe(":80", nil))
}
