package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"airsign/online/store"
	"airsign/online/web"
)

// listUsers is `users`: each user's role, state (active, disabled or
// locked), last web sign-in and password, as the admins' web page shows
// them.
func (c *cli) listUsers() error {
	accts, err := c.st.UserAccounts(c.ctx)
	if err != nil {
		return err
	}
	type row struct {
		Name       string     `json:"name"`
		Role       string     `json:"role"`
		Created    time.Time  `json:"created"`
		Disabled   bool       `json:"disabled"`
		State      string     `json:"state"`
		LastSignIn *time.Time `json:"last_signin,omitempty"`
		Password   string     `json:"web_password"`
	}
	now := time.Now()
	rows := []row{}
	for _, a := range accts {
		r := row{Name: a.Name, Role: string(a.Role), Created: a.Created, Disabled: a.Disabled, State: a.State(now), Password: "none"}
		if !a.LastSignIn.IsZero() {
			r.LastSignIn = &a.LastSignIn
		}
		switch {
		case a.HasPassword && a.TemporaryUntil.IsZero():
			r.Password = "own"
		case a.HasPassword:
			r.Password = "temporary until " + a.TemporaryUntil.Format(time.RFC3339)
		}
		rows = append(rows, r)
	}
	return c.emit(rows, func() {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSTATE\tLAST SIGN-IN\tWEB PASSWORD")
		for _, r := range rows {
			last := "never"
			if r.LastSignIn != nil {
				last = r.LastSignIn.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Role, r.Created.Format(time.RFC3339), r.State, last, r.Password)
		}
		tw.Flush()
	})
}

// userAdmin is `user role NAME ROLE`, `user disable NAME`, `user enable
// NAME` and `user reset NAME`, as the admins' web page does them: the
// last enabled admin stays one, the user's web sessions end, and the audit
// log names who acted (c.who, already proven an admin).
func (c *cli) userAdmin(args []string) error {
	usage := map[string]string{"role": "user role NAME viewer|requester|approver|admin", "disable": "user disable NAME",
		"enable": "user enable NAME", "reset": "user reset NAME"}[args[0]]
	want := 2
	if args[0] == "role" {
		want = 3
	}
	if len(args) != want {
		return usageError(usage)
	}
	name := args[1]
	if err := c.checkUser(name); err != nil {
		return err
	}
	switch args[0] {
	case "role":
		role, err := store.ParseRole(args[2])
		if err != nil {
			return usageError(usage)
		}
		if err := c.coord.SetUserRole(c.ctx, name, role, c.who); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "user %s is now %s; their web sessions ended\n", name, role)
	case "disable", "enable":
		disable := args[0] == "disable"
		if err := c.coord.SetUserDisabled(c.ctx, name, disable, c.who); err != nil {
			return err
		}
		if disable {
			fmt.Fprintf(c.stdout, "user %s disabled; their token, web sessions, approval key, approver stations and security keys are refused\n", name)
		} else {
			fmt.Fprintf(c.stdout, "user %s enabled\n", name)
		}
	case "reset":
		return c.resetPassword(name)
	}
	return nil
}

// resetPassword gives name a temporary web password, printed once: it
// signs in for a day, and then only to the page where they set their own.
func (c *cli) resetPassword(name string) error {
	pw, err := web.TemporaryPassword()
	if err != nil {
		return err
	}
	hash, err := web.HashPassword([]byte(pw), web.DefaultPasswordParams)
	if err != nil {
		return err
	}
	until, err := c.coord.SetWebPassword(c.ctx, name, hash, true, c.who)
	if err != nil {
		return err
	}
	return c.emit(map[string]any{"name": name, "temporary_password": pw, "until": until}, func() {
		fmt.Fprintf(c.stdout, "temporary web password for %s (shown once; it signs in until %s, then only to set their own):\n%s\n",
			name, until.Format(time.RFC3339), pw)
	})
}
