package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/online/store"
)

// localAdminPrefix names the machine's administrator acting with
// --as-admin: "local-admin:" and the operating-system user, as requests,
// bumps and user changes record them.
const localAdminPrefix = "local-admin:"

// actor is the person a command acts for, proven: the user whose API token
// is given (--token-file FILE, or AIRSIGN_TOKEN), who must hold need; or,
// with --as-admin, this machine's administrator, recorded as such. A bare
// --user NAME proves nothing (anyone at the shell can type any name) and is
// refused: with it, one person could file a request as another and approve
// it themselves.
func (c *cli) actor(need store.Role) (string, error) {
	token, err := c.token()
	if err != nil {
		return "", err
	}
	switch {
	case c.asAdmin && (token != "" || c.user != ""):
		return "", usageError("--as-admin acts as this machine's administrator; give it without --user or a token")
	case c.asAdmin:
		who := os.Getenv("USER")
		if who == "" {
			who = "unknown"
		}
		return localAdminPrefix + who, nil
	case token == "":
		if c.user != "" {
			return "", usageError(fmt.Sprintf("--user %s alone is not proof of who you are: give that user's API token (--token-file FILE, or AIRSIGN_TOKEN), or act as this machine's administrator with --as-admin (recorded as such)", c.user))
		}
		return "", usageError("this command acts for a person: give your API token (--token-file FILE, or AIRSIGN_TOKEN; 'user add' printed it), or --as-admin to act as this machine's administrator (recorded as such)")
	}
	u, err := c.st.Authenticate(c.ctx, token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", errors.New("the API token is not valid: it was mistyped, rotated or never issued; ask an admin for a new one")
	case errors.Is(err, store.ErrDisabled):
		return "", errors.New("the API token's user is disabled; ask an admin")
	case err != nil:
		return "", err
	}
	if c.user != "" && c.user != u.Name {
		return "", fmt.Errorf("--user %s, but the token is %s's", c.user, u.Name)
	}
	if !u.Role.AtLeast(need) {
		return "", fmt.Errorf("user %q has the %s role; this needs %s or above", u.Name, u.Role, need)
	}
	return u.Name, nil
}

// act proves who the command acts for (actor) and keeps it in c.who, which
// the command records.
func (c *cli) act(need store.Role) error {
	who, err := c.actor(need)
	c.who = who
	return err
}

// token is the API token from --token-file or AIRSIGN_TOKEN, if any.
func (c *cli) token() (string, error) {
	if c.tokenFile != "" {
		b, err := qrfiles.ReadFileLimited(c.tokenFile, 1024, "API token file")
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(os.Getenv("AIRSIGN_TOKEN")), nil
}
