// Package mail writes the greetings that sendbox shows. It is a private module: other
// projects fetch it over HTTPS from this GitLab, with their CI/CD job token.
package mail

import "fmt"

// Greeting is the sentence sendbox puts on its page. Change it, commit, run sendbox's
// pipeline again, and the new image answers with the new words.
const Greeting = "Hello from the mail module"

// Greet addresses the greeting to someone.
func Greet(name string) string {
	if name == "" {
		return Greeting + "!"
	}
	return fmt.Sprintf("%s, %s!", Greeting, name)
}
