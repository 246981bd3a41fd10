// go-service answers every HTTP request with one line: the greeting compiled into it
// (greeting.txt, embedded at build time) and the host name of the container that answers.
// The lab's pipeline tests build it into a FROM scratch image and run that image.
//
// It speaks just enough HTTP/1.x with the net package alone, not net/http: a cold build in
// a fresh container then compiles about 70 standard packages instead of about 190, which
// halves the build on a busy two-core CI machine.
package main

import (
	"bufio"
	_ "embed"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

//go:embed greeting.txt
var greeting string

// serve reads one request's head, up to the blank line, and answers it.
func serve(c net.Conn, body string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	request, err := r.ReadString('\n')
	if err != nil || !strings.Contains(request, " HTTP/1.") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.TrimRight(line, "\r\n") == "" {
			break
		}
	}
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	_, _ = c.Write([]byte(head + body))
}

func main() {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	body := strings.TrimSpace(greeting) + " from " + host + "\n"
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("go-service listening on :%s", port)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Print(err)
			continue
		}
		go serve(c, body)
	}
}
