package coordinator

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"golang.org/x/crypto/argon2"

	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
)

// Errors of approval keys and approvals, for errors.Is.
var (
	// ErrForbidden means the user may not do this: their role is too weak,
	// or they made the request they try to approve.
	ErrForbidden = errors.New("not allowed")
	// ErrBadPassword means the password does not open the user's approval
	// key (or the sealed key was altered: the two look the same).
	ErrBadPassword = errors.New("the password does not open the approval key")
	// ErrNoApprovalKey means the user has no approval key yet.
	ErrNoApprovalKey = errors.New("no approval key")
)

// Approval key and approval limits.
const (
	// MinPasswordLen is the shortest password an approval key is sealed
	// under, in bytes.
	MinPasswordLen = 12
	// MaxPasswordLen caps passwords, in bytes.
	MaxPasswordLen = 1024
	// MaxPasswordFailures wrong passwords in a row lock an approval key
	// until an operator gives the user a new one.
	MaxPasswordFailures = 10
	// DefaultApprovalExpiry is how long an approval stays valid when the
	// approver names no time: a working day. An approval copied out with
	// a PSBT (a download, a QR shown) stays valid at the kiosk after its
	// request is cancelled or rejected, until it expires; short is safe.
	DefaultApprovalExpiry = 8 * time.Hour
	// MaxApprovalExpiry is the longest an approval may stay valid.
	MaxApprovalExpiry = 30 * 24 * time.Hour
)

// CheckPassword says what is wrong with a new password, if anything: the
// one rule for approval keys and web sign-in passwords.
func CheckPassword(pw []byte) error {
	switch {
	case len(pw) < MinPasswordLen:
		return fmt.Errorf("the password is %d bytes; use %d or more (a passphrase of several words is easiest)", len(pw), MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Errorf("the password is %d bytes; use at most %d", len(pw), MaxPasswordLen)
	}
	return nil
}

// KDFParams are the argon2id parameters that turn a password into the key
// sealing an approval key. They are stored with the sealed key, so keys
// sealed under other parameters still open.
type KDFParams struct {
	Time    uint32 // passes over the memory
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultKDFParams are RFC 9106's second recommended option with more
// passes: 64 MiB, 3 passes, 2 lanes, about a tenth of a second per guess.
var DefaultKDFParams = KDFParams{Time: 3, Memory: 64 * 1024, Threads: 2}

// Bounds on stored parameters, checked before any memory is allocated: a
// sealed key altered to ask for terabytes is refused, not run.
const (
	maxKDFTime   = 64
	maxKDFMemory = 1 << 20 // KiB: 1 GiB
	maxKDFLanes  = 16
)

// Check refuses parameters past the bounds a stored hash or sealed key may
// ask for, or below argon2id's minimum of 8 KiB a lane.
func (p KDFParams) Check() error {
	if p.Time < 1 || p.Time > maxKDFTime || p.Memory < 8*uint32(p.Threads) || p.Memory > maxKDFMemory ||
		p.Threads < 1 || p.Threads > maxKDFLanes {
		return fmt.Errorf("argon2id parameters t=%d m=%d KiB p=%d: use 1 to %d passes, %d lanes at most and 8 KiB per lane to %d KiB",
			p.Time, p.Memory, p.Threads, maxKDFTime, maxKDFLanes, maxKDFMemory)
	}
	return nil
}

// The sealed key format, version 1, 86 bytes; integers big-endian:
//
//	uint8     1, the format version
//	uint32    argon2id passes
//	uint32    argon2id memory, KiB
//	uint8     argon2id lanes
//	16 bytes  salt
//	12 bytes  AES-GCM nonce
//	48 bytes  the 32-byte ed25519 seed sealed with AES-256-GCM, and its tag
//
// The AES key is argon2id(password, salt, passes, memory, lanes, 32 bytes).
// The additional data is sealDomain, the first 26 bytes above, the public
// key and the user's name, so that changing the parameters, or moving a
// sealed key to another user or public key, fails to open.
const (
	sealVersion   = 1
	sealSaltLen   = 16
	sealHeaderLen = 1 + 4 + 4 + 1 + sealSaltLen
	sealNonceLen  = 12
	sealedLen     = sealHeaderLen + sealNonceLen + ed25519.SeedSize + 16
	sealDomain    = "airsign approval key v1\n"
)

func sealAAD(header []byte, pub ed25519.PublicKey, user string) []byte {
	aad := append([]byte(sealDomain), header...)
	aad = append(aad, pub...)
	return append(aad, user...)
}

func sealGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // the key is always 32 bytes
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

// sealKey encrypts seed under password for user.
func sealKey(seed []byte, pub ed25519.PublicKey, user string, password []byte, p KDFParams) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	out := make([]byte, sealHeaderLen+sealNonceLen, sealedLen)
	out[0] = sealVersion
	binary.BigEndian.PutUint32(out[1:], p.Time)
	binary.BigEndian.PutUint32(out[5:], p.Memory)
	out[9] = p.Threads
	if _, err := rand.Read(out[10 : sealHeaderLen+sealNonceLen]); err != nil {
		return nil, err
	}
	salt, nonce := out[10:sealHeaderLen], out[sealHeaderLen:]
	key := argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, 32)
	defer clear(key)
	return sealGCM(key).Seal(out, nonce, seed, sealAAD(out[:sealHeaderLen], pub, user)), nil
}

// openKey decrypts a sealed key and returns the private key, which the
// caller wipes. It checks that the key is pub's.
func openKey(sealed []byte, pub ed25519.PublicKey, user string, password []byte) (ed25519.PrivateKey, error) {
	if len(sealed) != sealedLen || sealed[0] != sealVersion {
		return nil, fmt.Errorf("the sealed approval key of %q is not in format %d (%d bytes); give the user a new key", user, sealVersion, sealedLen)
	}
	p := KDFParams{Time: binary.BigEndian.Uint32(sealed[1:]), Memory: binary.BigEndian.Uint32(sealed[5:]), Threads: sealed[9]}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("the sealed approval key of %q: %v; give the user a new key", user, err)
	}
	salt, nonce := sealed[10:sealHeaderLen], sealed[sealHeaderLen:sealHeaderLen+sealNonceLen]
	key := argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, 32)
	defer clear(key)
	seed, err := sealGCM(key).Open(nil, nonce, sealed[sealHeaderLen+sealNonceLen:], sealAAD(sealed[:sealHeaderLen], pub, user))
	if err != nil {
		return nil, fmt.Errorf("%w of %q", ErrBadPassword, user)
	}
	defer clear(seed)
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), pub) {
		clear(priv)
		return nil, fmt.Errorf("the sealed approval key of %q is not the key of its stored public key %x; give the user a new key", user, []byte(pub))
	}
	return priv, nil
}

// KeyOptions tune CreateApprovalKeyWith.
type KeyOptions struct {
	// Rotate replaces a key the user has. Approvals already given keep
	// their signatures; the kiosk counts them only while it enrolls the
	// old key.
	Rotate bool
	// KDF are the argon2id parameters; the zero value means
	// DefaultKDFParams.
	KDF KDFParams
}

// CreateApprovalKey makes the user an ed25519 approval key, stores it
// sealed under password, and returns its public key: what the kiosk
// enrolls (airsign-kiosk approvers add NAME HEXKEY). It refuses a user that
// already has one, a user below the approver role, and a password shorter
// than MinPasswordLen bytes.
func (c *Coordinator) CreateApprovalKey(ctx context.Context, user string, password []byte) (ed25519.PublicKey, error) {
	return c.CreateApprovalKeyWith(ctx, user, password, KeyOptions{})
}

// CreateApprovalKeyWith is CreateApprovalKey with options: rotation and
// argon2id parameters.
// It is recorded in the audit log (the public key only).
func (c *Coordinator) CreateApprovalKeyWith(ctx context.Context, user string, password []byte, opts KeyOptions) (ed25519.PublicKey, error) {
	data := map[string]any{"user": user, "rotate": opts.Rotate}
	return loggedValue(c, "approval-key", data, func() (ed25519.PublicKey, error) {
		pub, err := c.createApprovalKeyWith(ctx, user, password, opts)
		data["public_key"] = hex.EncodeToString(pub)
		return pub, err
	})
}

// createApprovalKeyWith is CreateApprovalKeyWith without the audit record.
func (c *Coordinator) createApprovalKeyWith(ctx context.Context, user string, password []byte, opts KeyOptions) (ed25519.PublicKey, error) {
	u, err := c.st.User(ctx, user)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, fmt.Errorf("%w: user %q is disabled", ErrForbidden, user)
	}
	if !u.Role.AtLeast(store.RoleApprover) {
		return nil, fmt.Errorf("%w: user %q has the %s role; only approvers and admins approve, so only they get approval keys", ErrForbidden, user, u.Role)
	}
	if err := CheckPassword(password); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if opts.KDF == (KDFParams{}) {
		opts.KDF = DefaultKDFParams
	}
	if err := opts.KDF.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !opts.Rotate {
		if _, _, err := c.st.ApprovalKey(ctx, user); err == nil {
			return nil, fmt.Errorf("%w: user %q already has an approval key; rotate it to replace it", store.ErrExists, user)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	sealed, err := sealKey(priv.Seed(), pub, user, password, opts.KDF)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := c.st.SetApprovalKey(ctx, user, pub, sealed); err != nil {
		return nil, err
	}
	return pub, nil
}

// ApprovalPublicKey returns the user's approval public key.
func (c *Coordinator) ApprovalPublicKey(ctx context.Context, user string) (ed25519.PublicKey, error) {
	pub, _, err := c.st.ApprovalKey(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noKey(user)
	}
	return pub, err
}

func noKey(user string) error {
	return fmt.Errorf("%w: user %q has none; an operator creates one with: airsign-coordinator user approval-key %s", ErrNoApprovalKey, user, user)
}

// WalletID is how approvals name a wallet: the checksum of its stored
// descriptor, as the kiosk's kiosk.WalletID computes it from the same
// descriptor (online may not import offline, so it is repeated here).
func WalletID(descriptor string) string {
	if i := strings.LastIndexByte(descriptor, '#'); i >= 0 {
		return descriptor[i+1:]
	}
	return descriptor
}

// Approve signs the user's approval of a pending request with their
// approval key, opened with password, and attaches it to the request's
// PSBT, so the PSBT the kiosk gets from now on carries it. The approval
// names the wallet (WalletID), the request, the transaction, its outputs
// and fee, and expires after expires (0 means DefaultApprovalExpiry).
//
// Four eyes: the requester cannot approve their own request, and only an
// approver or admin approves. Approving again replaces the approver's
// earlier approval. A wrong password counts towards MaxPasswordFailures.
// It is recorded in the audit log, and so is every refusal (four eyes, a wrong password).
func (c *Coordinator) Approve(ctx context.Context, requestID, user string, password []byte, expires time.Duration) (*Withdrawal, error) {
	data := map[string]any{"request": requestID, "user": user, "expires_in": expires.String()}
	return loggedValue(c, "approve", data, func() (*Withdrawal, error) {
		return c.approve(ctx, requestID, user, password, expires)
	})
}

// approve is Approve without the audit record.
func (c *Coordinator) approve(ctx context.Context, requestID, user string, password []byte, expires time.Duration) (*Withdrawal, error) {
	if expires == 0 {
		expires = DefaultApprovalExpiry
	}
	if expires < time.Minute || expires > MaxApprovalExpiry {
		return nil, fmt.Errorf("%w: an approval valid for %v; give a time from 1m to %v", ErrInvalid, expires, MaxApprovalExpiry)
	}
	sw, err := c.mayApprove(ctx, requestID, user)
	if err != nil {
		return nil, err
	}
	pub, sealed, err := c.st.ApprovalKey(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noKey(user)
	}
	if err != nil {
		return nil, err
	}
	if n, err := c.st.ApprovalKeyFailures(ctx, user); err != nil {
		return nil, err
	} else if n >= MaxPasswordFailures {
		return nil, fmt.Errorf("%w: the approval key of %q is locked after %d wrong passwords; an operator gives them a new one (user approval-key %s --rotate)",
			ErrForbidden, user, n, user)
	}
	if len(password) > MaxPasswordLen {
		return nil, fmt.Errorf("%w: the password is %d bytes, more than %d", ErrInvalid, len(password), MaxPasswordLen)
	}
	priv, err := openKey(sealed, pub, user, password)
	if errors.Is(err, ErrBadPassword) {
		n, ferr := c.st.ApprovalKeyFailed(ctx, user)
		if ferr != nil {
			return nil, errors.Join(err, ferr)
		}
		return nil, fmt.Errorf("%w (%d of %d wrong passwords in a row before the key locks)", err, n, MaxPasswordFailures)
	}
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	return c.attachApproval(ctx, sw, user, approval.KindSealed, c.cfg.Now().Add(expires), func(p *btcpsbt.Packet, m approval.Message) ([]byte, error) {
		a := approval.Sign(m, user, priv)
		return a.PublicKey, approval.Attach(p, a)
	})
}

// mayApprove returns the request if user may approve it now: an enabled
// approver or admin, the request pending, and user neither its requester
// nor the requester or bumper of any request it replaces (four eyes).
func (c *Coordinator) mayApprove(ctx context.Context, requestID, user string) (store.Withdrawal, error) {
	u, err := c.st.User(ctx, user)
	if err != nil {
		return store.Withdrawal{}, err
	}
	if u.Disabled {
		return store.Withdrawal{}, fmt.Errorf("%w: user %q is disabled", ErrForbidden, user)
	}
	sw, err := c.st.Withdrawal(ctx, requestID)
	if err != nil {
		return store.Withdrawal{}, err
	}
	if err := c.fourEyes(ctx, sw, user); err != nil {
		return store.Withdrawal{}, err
	}
	if !u.Role.AtLeast(store.RoleApprover) {
		return store.Withdrawal{}, fmt.Errorf("%w: user %q has the %s role; only approvers and admins approve requests", ErrForbidden, user, u.Role)
	}
	if sw.Status != store.StatusPending {
		return store.Withdrawal{}, fmt.Errorf("%w: request %s is %s; only a pending request can be approved", store.ErrState, sw.ID, sw.Status)
	}
	return sw, nil
}

// attacher adds one approval of m to p and returns the id of the key it
// is filed under (an ed25519 key, or a WebAuthn key's ID).
type attacher func(p *btcpsbt.Packet, m approval.Message) ([]byte, error)

// attachApproval builds the approval message of sw's transaction, valid
// until expires, has attach add the approval to the request's PSBT, and
// records it for user, retrying when another approval lands in between.
func (c *Coordinator) attachApproval(ctx context.Context, sw store.Withdrawal, user string, kind approval.Kind, expires time.Time, attach attacher) (*Withdrawal, error) {
	now := c.cfg.Now()
	if !expires.After(now.Add(time.Minute)) || expires.After(now.Add(MaxApprovalExpiry)) {
		return nil, fmt.Errorf("%w: an approval valid until %s; give a time from a minute to %v from now", ErrInvalid, expires.UTC().Format(time.DateTime+" UTC"), MaxApprovalExpiry)
	}
	w, err := c.st.Wallet(ctx, sw.Wallet)
	if err != nil {
		return nil, err
	}
	// Another approval may land between reading the PSBT and storing it
	// back; then attach to the new one.
	for attempt := 0; ; attempt++ {
		err := c.approveOnce(ctx, sw, WalletID(w.Descriptor), user, kind, now, expires, attach)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			if sw, err = c.st.Withdrawal(ctx, sw.ID); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return c.Get(ctx, sw.ID)
	}
}

// approvalMessage is the message that approves sw's transaction until
// expires, and sw's PSBT decoded.
func (c *Coordinator) approvalMessage(ctx context.Context, sw store.Withdrawal, walletID string, expires time.Time) (*btcpsbt.Packet, approval.Message, error) {
	p, err := psbt.Decode(sw.PSBT)
	if err != nil {
		return nil, approval.Message{}, fmt.Errorf("stored PSBT of %s: %w", sw.ID, err)
	}
	fee, err := approval.FeeOf(p)
	if err != nil {
		return nil, approval.Message{}, fmt.Errorf("request %s: %w", sw.ID, err)
	}
	if fee != sw.Fee {
		return nil, approval.Message{}, fmt.Errorf("request %s: its PSBT pays a fee of %v, the request recorded %v; it cannot be approved", sw.ID, fee, sw.Fee)
	}
	// The approval names the original request of a replacement chain, as
	// the kiosk and an auditor know it: a bump or a revocation is still
	// that request (its txid is the replacement's).
	origin, err := c.originalRequest(ctx, sw)
	if err != nil {
		return nil, approval.Message{}, err
	}
	m, err := approval.MessageFor(p, walletID, origin, fee, expires)
	if err != nil {
		return nil, approval.Message{}, fmt.Errorf("request %s: %w", sw.ID, err)
	}
	return p, m, nil
}

func (c *Coordinator) approveOnce(ctx context.Context, sw store.Withdrawal, walletID, user string, kind approval.Kind,
	now, expires time.Time, attach attacher) error {
	p, m, err := c.approvalMessage(ctx, sw, walletID, expires)
	if err != nil {
		return err
	}
	// An approver whose key was rotated, or who approves again with
	// another kind of key, replaces their earlier approval.
	old, err := c.st.Approvals(ctx, sw.ID)
	if err != nil {
		return err
	}
	for _, o := range old {
		if o.Approver == user {
			approval.Detach(p, o.PublicKey)
		}
	}
	keyID, err := attach(p, m)
	if err != nil {
		return fmt.Errorf("request %s: %w", sw.ID, err)
	}
	raw, err := psbt.Encode(p)
	if err != nil {
		return err
	}
	return c.st.RecordApproval(ctx, store.Approval{Request: sw.ID, Approver: user, PublicKey: keyID, Kind: string(kind),
		Expires: m.Expires, Created: now.UTC()}, sw.PSBT, raw)
}

// Approvals returns the approvals recorded for a request, by approver.
func (c *Coordinator) Approvals(ctx context.Context, requestID string) ([]store.Approval, error) {
	return c.st.Approvals(ctx, requestID)
}

// chain is sw and the requests it replaces, newest first: a fee bump or a
// revocation is still the request it replaces.
func (c *Coordinator) chain(ctx context.Context, sw store.Withdrawal) ([]store.Withdrawal, error) {
	out := []store.Withdrawal{sw}
	for sw.Replaces != "" {
		if len(out) > 1000 {
			return nil, fmt.Errorf("request %s: its chain of replacements does not end", out[0].ID)
		}
		var err error
		if sw, err = c.st.Withdrawal(ctx, sw.Replaces); err != nil {
			return nil, err
		}
		out = append(out, sw)
	}
	return out, nil
}

// originalRequest is the id of the first request of sw's replacement chain.
func (c *Coordinator) originalRequest(ctx context.Context, sw store.Withdrawal) (string, error) {
	ch, err := c.chain(ctx, sw)
	if err != nil {
		return "", err
	}
	return ch[len(ch)-1].ID, nil
}

// fourEyes refuses an approval by anyone who requested or bumped the
// request or any request it replaces: a fee bump must not hand the
// request to a new requester whose own payment its old one was.
func (c *Coordinator) fourEyes(ctx context.Context, sw store.Withdrawal, user string) error {
	ch, err := c.chain(ctx, sw)
	if err != nil {
		return err
	}
	for _, r := range ch {
		if r.Requester == user {
			if r.ID == sw.ID {
				return fmt.Errorf("%w: request %s was made by %s, who cannot also approve it (four eyes); another approver must", ErrForbidden, sw.ID, user)
			}
			return fmt.Errorf("%w: request %s replaces %s, which %s made; they cannot approve its replacement (four eyes); another approver must", ErrForbidden, sw.ID, r.ID, user)
		}
		if r.BumpedBy == user {
			return fmt.Errorf("%w: %s bumped the fee of request %s into %s; they cannot also approve it (four eyes); another approver must", ErrForbidden, user, r.Replaces, r.ID)
		}
	}
	return nil
}
