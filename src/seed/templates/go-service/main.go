// sendbox serves one small page. Its background colour comes from the container's
// hostname, so when several copies run behind a load balancer, each answer shows which
// container gave it.
package main

import (
	"fmt"
	"hash/fnv"
	"html"
	"log"
	"net/http"
	"os"

	mail "{{lab:module_import_path}}"
)

const page = `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>sendbox</title></head>
<body style="background:%s;color:#fff;font-family:sans-serif;text-align:center;padding-top:20vh">
<h1>%s</h1>
<p>served by %s</p>
</body>
</html>
`

// colourOf turns a hostname into a hue: the same host always gets the same colour.
func colourOf(host string) string {
	h := fnv.New32a()
	h.Write([]byte(host))
	return fmt.Sprintf("hsl(%d, 65%%, 40%%)", h.Sum32()%360)
}

func handler(host string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, colourOf(host), html.EscapeString(mail.Greet("sendbox")), html.EscapeString(host))
	}
}

func main() {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	http.HandleFunc("/", handler(host))
	log.Printf("sendbox listening on %s as %s", addr, host)
	log.Fatal(http.ListenAndServe(addr, nil))
}
