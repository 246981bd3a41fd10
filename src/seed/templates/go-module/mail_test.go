package mail

import (
	"strings"
	"testing"
)

func TestGreetNamesTheReader(t *testing.T) {
	got := Greet("Ada")
	if !strings.HasPrefix(got, Greeting) || !strings.HasSuffix(got, ", Ada!") {
		t.Fatalf("Greet(%q) = %q", "Ada", got)
	}
}

func TestGreetWithoutName(t *testing.T) {
	if got := Greet(""); got != Greeting+"!" {
		t.Fatalf("Greet(\"\") = %q", got)
	}
}
