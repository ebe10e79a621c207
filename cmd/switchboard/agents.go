package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-chat/switchboard/core"
)

// agentsCmd is `switchboard agents add|list`.
func agentsCmd(ctx context.Context, g globals, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		return fmt.Errorf("usage: switchboard agents add|list")
	}
	var in core.NewAgent
	var roles string
	if args[0] == "add" {
		fs := flag.NewFlagSet("agents add", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.StringVar(&in.Email, "email", "", "e-mail (login name), required")
		fs.StringVar(&in.Name, "name", "", "display name, required")
		fs.StringVar(&in.Password, "password", "", "password (at least 8 characters); empty: generated and printed")
		fs.StringVar(&roles, "roles", "", "comma-separated roles, e.g. developer,support")
		fs.IntVar(&in.MaxChats, "max-chats", 0, "active conversations at most (0: agents.default_max_chats)")
		fs.BoolVar(&in.Admin, "admin", false, "make the agent an admin")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		for _, r := range strings.Split(roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				in.Roles = append(in.Roles, r)
			}
		}
	}
	a, err := open(ctx, g, log)
	if err != nil {
		return err
	}
	defer a.close()
	if args[0] == "list" {
		agents, err := a.store.ListAgents(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLES\tADMIN\tONLINE\tACTIVE/MAX")
		for _, ag := range agents {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%t\t%d/%d\n", ag.ID, ag.Email, ag.Name, strings.Join(ag.Roles, ","), ag.Admin, ag.Online, ag.ActiveChats, ag.MaxChats)
		}
		return tw.Flush()
	}
	generated := in.Password == ""
	if generated {
		in.Password = core.RandomPassword()
	}
	ag, err := a.svc.AddAgent(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "agent %s added: %s (%s)\n", ag.ID, ag.Email, ag.Name)
	if generated {
		fmt.Fprintf(stdout, "password (shown once): %s\n", in.Password)
	}
	return nil
}
