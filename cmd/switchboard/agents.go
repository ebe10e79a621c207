package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/switchboard-chat/switchboard/core"
)

// agentsAddSetup is `switchboard agents add`.
func agentsAddSetup(fs *flag.FlagSet) action {
	var in core.NewAgent
	var roles string
	fs.StringVar(&in.Email, "email", "", "e-mail (login name), required")
	fs.StringVar(&in.Name, "name", "", "display name, required")
	fs.StringVar(&in.Password, "password", "", "password (at least 10 characters, not a common one); empty: generated and printed")
	fs.StringVar(&roles, "roles", "", "comma-separated roles, e.g. developer,support")
	fs.IntVar(&in.MaxChats, "max-chats", 0, "active conversations at most (0: agents.default_max_chats)")
	fs.BoolVar(&in.Admin, "admin", false, "make the agent an admin")
	return func(ctx context.Context, c *cli, log *slog.Logger, _ []string) error {
		for _, r := range strings.Split(roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				in.Roles = append(in.Roles, r)
			}
		}
		a, err := open(ctx, c.g, log)
		if err != nil {
			return err
		}
		defer a.close()
		generated := in.Password == ""
		if generated {
			in.Password = core.RandomPassword()
		}
		ag, err := a.svc.AddAgent(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "agent %s added: %s (%s)\n", ag.ID, ag.Email, ag.Name)
		if generated {
			fmt.Fprintf(c.stdout, "password (shown once): %s\n", in.Password)
		}
		return nil
	}
}

// agentsListAction is `switchboard agents list`.
func agentsListAction(ctx context.Context, c *cli, log *slog.Logger, _ []string) error {
	a, err := open(ctx, c.g, log)
	if err != nil {
		return err
	}
	defer a.close()
	agents, err := a.store.ListAgents(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLES\tADMIN\tONLINE\tACTIVE/MAX")
	for _, ag := range agents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%t\t%d/%d\n", ag.ID, ag.Email, ag.Name, strings.Join(ag.Roles, ","), ag.Admin, ag.Online, ag.ActiveChats, ag.MaxChats)
	}
	return tw.Flush()
}

// agentsPasswdSetup is `switchboard agents passwd EMAIL`.
func agentsPasswdSetup(fs *flag.FlagSet) action {
	password := fs.String("password", "", "the new password (visible to other users of the machine: prefer standard input)")
	return func(ctx context.Context, c *cli, log *slog.Logger, args []string) error {
		email, pw := args[0], *password
		if pw == "" {
			var err error
			if pw, err = readPassword(c.stdin, c.stderr, email); err != nil {
				return err
			}
		}
		a, err := open(ctx, c.g, log)
		if err != nil {
			return err
		}
		defer a.close()
		ag, revoked, err := a.svc.SetPassword(ctx, email, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "password of %s changed; %d session(s) signed out\n", ag.Email, revoked)
		return nil
	}
}

// readPassword reads a new password from in: on a terminal asked twice
// without echo, otherwise the first line.
func readPassword(in io.Reader, prompt io.Writer, email string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(q string) (string, error) {
			fmt.Fprint(prompt, q)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(prompt)
			if err != nil {
				return "", fmt.Errorf("read the password: %w", err)
			}
			return string(b), nil
		}
		pw, err := ask("New password for " + email + ": ")
		if err != nil {
			return "", err
		}
		again, err := ask("Again: ")
		if err != nil {
			return "", err
		}
		if pw != again {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		return pw, nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usageError("no password: give --password or write it to standard input")
	}
	return line, nil
}
