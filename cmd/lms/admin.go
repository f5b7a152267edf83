package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// createAdmin creates an admin account, or promotes an existing user, with
// the password read from stdin (without echo when stdin is a terminal).
func createAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email of the admin (required)")
	name := fs.String("name", "", "name of the admin (required for a new account)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	a, closeDB, err := open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := a.DB.Migrate(ctx); err != nil {
		return err
	}
	created, err := a.Users.CreateAdmin(ctx, *email, *name, password)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "created admin %s\n", strings.ToLower(strings.TrimSpace(*email)))
	} else {
		fmt.Fprintf(stdout, "promoted %s to admin (password unchanged)\n", strings.ToLower(strings.TrimSpace(*email)))
	}
	return nil
}

// readPassword reads one line; from a terminal it prompts and does not echo.
func readPassword(stdin io.Reader, prompt io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
