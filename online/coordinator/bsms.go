package coordinator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"airsign/psbt/descriptor"
)

// BSMSSession is the coordinator's side of a BIP129 (BSMS) multisig setup:
// it hands out a TOKEN, collects one signed key record from each signer
// (Round 1), and assembles the descriptor record every signer registers
// (Round 2). It holds no secret but the TOKEN, which only keeps the records
// private on their way; the key records' signatures are what prove each
// key came from its signer.
//
// The session is plain data, so the command line can keep it in a file
// between the visits of the signers.
type BSMSSession struct {
	// Token is the session TOKEN in hex: 16 digits (BIP129 STANDARD, 64
	// bits) when the records are encrypted, or "00" when they are not.
	Token     string    `json:"token"`
	Threshold int       `json:"threshold"`
	Signers   int       `json:"signers"`
	Network   string    `json:"network"`
	Created   time.Time `json:"created"`
	Keys      []BSMSKey `json:"keys"`
}

// BSMSKey is one signer's verified key.
type BSMSKey struct {
	// Key is the key with its origin, as a descriptor writes it:
	// [fingerprint/48'/coin'/account'/2']xpub.
	Key         string    `json:"key"`
	Description string    `json:"description"`
	Added       time.Time `json:"added"`
}

// NewBSMSSession starts a session for a threshold-of-signers wsh sortedmulti
// wallet on net. With encrypt, the TOKEN is 8 random bytes and every record
// of the session is encrypted with it; otherwise it is 00.
func NewBSMSSession(threshold, signers int, net descriptor.Network, encrypt bool, now time.Time) (*BSMSSession, error) {
	if signers < 2 || signers > descriptor.MaxMultisigKeys || threshold < 1 || threshold > signers {
		return nil, fmt.Errorf("a %d-of-%d multisig is not possible: give 1 <= threshold <= signers, 2 <= signers <= %d", threshold, signers, descriptor.MaxMultisigKeys)
	}
	token := "00"
	if encrypt {
		raw := make([]byte, 8)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		token = hex.EncodeToString(raw)
	}
	return &BSMSSession{Token: token, Threshold: threshold, Signers: signers, Network: net.String(), Created: now.UTC()}, nil
}

func (s *BSMSSession) token() ([]byte, descriptor.Network, error) {
	tok, err := hex.DecodeString(s.Token)
	if err != nil || (len(tok) != 1 && len(tok) != 8 && len(tok) != 16) || (len(tok) == 1 && tok[0] != 0) {
		return nil, 0, fmt.Errorf("the BSMS session's TOKEN %q is damaged: start a new session", s.Token)
	}
	net, err := descriptor.ParseNetwork(s.Network)
	if err != nil {
		return nil, 0, err
	}
	return tok, net, nil
}

// Encrypted says whether the session's records are encrypted.
func (s *BSMSSession) Encrypted() bool { return s.Token != "00" }

// AddKeyRecord verifies a signer's key record (plain, or hex encrypted with
// the session's TOKEN) and adds its key: the record must carry the
// session's TOKEN, a BIP48 P2WSH key (48'/coin'/account'/2') for the
// session's network, and a signature by that key; a key or fingerprint
// already in the session, and a record past the last signer, are refused.
func (s *BSMSSession) AddKeyRecord(data []byte, now time.Time) (BSMSKey, error) {
	tok, net, err := s.token()
	if err != nil {
		return BSMSKey{}, err
	}
	if len(s.Keys) >= s.Signers {
		return BSMSKey{}, fmt.Errorf("the session already has all %d keys: finish it", s.Signers)
	}
	text := []byte(strings.TrimSpace(string(data)))
	plain := strings.HasPrefix(string(text), "BSMS")
	switch {
	case s.Encrypted() && plain:
		return BSMSKey{}, errors.New("this key record is not encrypted, but the session's records must be: run the kiosk's bsms key-record with the session's TOKEN")
	case s.Encrypted():
		if text, err = descriptor.DecryptBSMS(tok, text); err != nil {
			return BSMSKey{}, fmt.Errorf("%w (this session's TOKEN is %s)", err, s.Token)
		}
	case !plain && !isHexText(text):
		return BSMSKey{}, errors.New("this is not a BSMS key record: it neither starts with BSMS 1.0 nor is an encrypted record's hex; scan the kiosk's key record again")
	case !plain:
		return BSMSKey{}, errors.New("this key record is encrypted, but the session has no TOKEN (00): run the kiosk's bsms key-record with --token 00")
	}
	r, err := descriptor.ParseBSMSKey(text)
	if err != nil {
		return BSMSKey{}, err
	}
	if got := hex.EncodeToString(r.Token); got != s.Token {
		return BSMSKey{}, fmt.Errorf("the key record is for session TOKEN %s, not this session's %s: it belongs to another setup", got, s.Token)
	}
	if r.Key == nil {
		return BSMSKey{}, errors.New("the key record holds a plain public key; a multisig wallet needs the signer's extended key (xpub)")
	}
	p := r.Origin.Path
	if len(p) != 4 || p[0] != 48+descriptor.Hardened || p[1] != net.CoinType()+descriptor.Hardened || p[2] < descriptor.Hardened || p[3] != 2+descriptor.Hardened {
		return BSMSKey{}, fmt.Errorf("the key's path %s is not a BIP48 P2WSH key for %s (m/48'/%d'/account'/2')", descriptor.FormatPath(p), net, net.CoinType())
	}
	k := BSMSKey{Key: "[" + r.Origin.String() + "]" + r.Key.String(), Description: r.Description, Added: now.UTC()}
	fp := hex.EncodeToString(r.Origin.Fingerprint[:])
	for i, have := range s.Keys {
		if have.Key == k.Key {
			return BSMSKey{}, fmt.Errorf("this key is already key %d of the session (%s)", i+1, have.Description)
		}
		if strings.HasPrefix(have.Key, "["+fp+"/") {
			return BSMSKey{}, fmt.Errorf("master fingerprint %s is already key %d of the session (%s): each signer must bring its own seed", fp, i+1, have.Description)
		}
	}
	s.Keys = append(s.Keys, k)
	return k, nil
}

// Descriptor is the session's wallet once every signer's key is in:
// wsh(sortedmulti(threshold, KEY/<0;1>/*, ...)).
func (s *BSMSSession) Descriptor() (*descriptor.Descriptor, error) {
	_, net, err := s.token()
	if err != nil {
		return nil, err
	}
	if len(s.Keys) != s.Signers {
		return nil, fmt.Errorf("the session has %d of its %d keys: add the rest with bsms add-key", len(s.Keys), s.Signers)
	}
	keys := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		keys[i] = k.Key + "/<0;1>/*"
	}
	return descriptor.ParseForNetwork(fmt.Sprintf("wsh(sortedmulti(%d,%s))", s.Threshold, strings.Join(keys, ",")), net)
}

// Record is the Round 2 descriptor record for the signers: BIP129's plain
// record, encrypted with the TOKEN when the session is.
func (s *BSMSSession) Record() ([]byte, error) {
	tok, _, err := s.token()
	if err != nil {
		return nil, err
	}
	d, err := s.Descriptor()
	if err != nil {
		return nil, err
	}
	record, err := d.BSMS()
	if err != nil {
		return nil, err
	}
	if !s.Encrypted() {
		return record, nil
	}
	return descriptor.EncryptBSMS(tok, record)
}

func isHexText(b []byte) bool {
	_, err := hex.DecodeString(string(b))
	return err == nil && len(b) > 0
}
