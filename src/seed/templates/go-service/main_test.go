package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	mail "{{lab:module_import_path}}"
)

func TestPageShowsGreetingAndHost(t *testing.T) {
	rec := httptest.NewRecorder()
	handler("box-1")(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.String()
	if !strings.Contains(body, mail.Greeting) || !strings.Contains(body, "box-1") {
		t.Fatalf("page lacks the greeting or the host:\n%s", body)
	}
}

func TestColourFollowsHost(t *testing.T) {
	if colourOf("a") != colourOf("a") || colourOf("a") == colourOf("b") {
		t.Fatal("each host should keep its own colour")
	}
}
