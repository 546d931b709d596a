package coordinator

import (
	"context"
	"fmt"
	"time"

	"airsign/online/store"
)

// User administration, for the command line and the admins' web page
// alike: each change is logged write-ahead with who made it, and the
// store refuses to leave no enabled admin or to let an admin demote or
// disable themselves.

// TemporaryPasswordLife is how long an admin-set temporary web password
// signs in; within it, the user must set their own.
const TemporaryPasswordLife = 24 * time.Hour

// AddUser creates a user with role, as by, and returns their API token
// (shown once).
func (c *Coordinator) AddUser(ctx context.Context, name string, role store.Role, by string) (string, error) {
	data := map[string]any{"name": name, "role": string(role), "by": by}
	return loggedValue(c, "user-add", data, func() (string, error) {
		return c.st.AddUser(ctx, name, role, c.cfg.Now())
	})
}

// SetUserRole gives name the role, as by; name's web sessions end.
func (c *Coordinator) SetUserRole(ctx context.Context, name string, role store.Role, by string) error {
	data := map[string]any{"name": name, "role": string(role), "by": by}
	return c.logged("user-role", data, func() error {
		if _, err := store.ParseRole(string(role)); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return c.st.SetRole(ctx, name, role, by)
	})
}

// SetUserDisabled disables (or enables) name, as by. A disabled user's
// token, web sessions, approval key, approver stations and security keys
// are all refused from then on: each is checked against the user's row.
func (c *Coordinator) SetUserDisabled(ctx context.Context, name string, disabled bool, by string) error {
	kind := "user-enable"
	if disabled {
		kind = "user-disable"
	}
	return c.logged(kind, map[string]any{"name": name, "by": by}, func() error {
		return c.st.SetDisabled(ctx, name, disabled, by)
	})
}

// SetWebPassword stores name's web password hash, as by: their own when
// temporary is false, else a temporary one that signs in only until
// TemporaryPasswordLife from now, and then only to set their own. Either
// way name's sessions and lockouts end. It returns the temporary
// password's end (zero for their own).
func (c *Coordinator) SetWebPassword(ctx context.Context, name string, hash []byte, temporary bool, by string) (time.Time, error) {
	var until time.Time
	data := map[string]any{"name": name, "by": by, "temporary": temporary}
	if temporary {
		until = c.cfg.Now().Add(TemporaryPasswordLife).UTC()
		data["until"] = until
	}
	return until, c.logged("web-password", data, func() error {
		return c.st.SetWebPasswordUntil(ctx, name, hash, until)
	})
}
