// Package ceremony runs a seed ceremony: it makes (or imports) a wallet's
// BIP39 entropy, splits it into Shamir shares for the custodians, proves the
// shares recombine, and produces a transcript signed by the kiosk that an
// auditor can check later without any secret.
//
// Randomness, the clock and the device key are passed in; nothing here
// touches a screen or a network. Write puts the outputs on disk and reads
// them back before it declares the ceremony done.
package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"airsign/offline/hd"
	"airsign/offline/home"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// TranscriptFormat names the transcript's version.
const TranscriptFormat = "airsign-ceremony-transcript/1"

// signingContext separates transcript signatures from anything else the
// device key signs.
const signingContext = "airsign ceremony transcript v1\n"

// Params describe a ceremony.
type Params struct {
	Network   descriptor.Network
	Script    descriptor.ScriptType
	Threshold int
	Total     int
	// Words is the mnemonic length of a generated seed: 12 or 24.
	Words int
	// Dice are optional die rolls (values 1 to 6) mixed into the entropy.
	Dice []byte
	// Mnemonic, when set, is an existing BIP39 mnemonic to split instead of
	// generating a seed (a restore ceremony). The caller wipes it.
	Mnemonic []byte
	// Custodians name the holder of each share, in share order; empty or
	// one name per share.
	Custodians []string
	// Name is the wallet's name on this kiosk; empty means
	// <fingerprint>-<script>.
	Name string
	// Software names the program and version, for the transcript.
	Software string
	// InUse are the share set ids of the wallets already on this kiosk. The
	// new set gets another id, so that a share of one wallet is never
	// taken for a share of another: the kiosk names the set a share belongs
	// to, and operators and auditors tell sets apart by it.
	InUse []uint16
}

// Signer is the kiosk's device identity.
type Signer interface {
	Sign(msg []byte) []byte
	PublicKey() ed25519.PublicKey
}

// Result is a finished ceremony, held in memory until Write.
type Result struct {
	Shares     []*shamir.Share
	Transcript Transcript
	// TranscriptFile is the signed transcript as written to transcript.json.
	TranscriptFile []byte
	Descriptor     *descriptor.Descriptor
	// WatchOnly is the content of watch-only.txt.
	WatchOnly []byte
	// Extra are further public files Write puts beside the others, such as
	// the watch-only export in the QR formats other wallets scan.
	Extra []ExtraFile
}

// ExtraFile is a public file a ceremony writes: no secret may go here.
type ExtraFile struct {
	Name string
	Data []byte
}

// Transcript is the public record of a ceremony. It holds no secret: the
// shares appear only as SHA-256 digests.
type Transcript struct {
	Format            string        `json:"format"`
	CeremonyID        string        `json:"ceremony_id"`
	Time              time.Time     `json:"time"`
	Kind              string        `json:"kind"` // "generated" or "imported"
	WalletName        string        `json:"wallet_name"`
	Network           string        `json:"network"`
	Script            string        `json:"script"`
	Words             int           `json:"words"`
	Threshold         int           `json:"threshold"`
	Total             int           `json:"total"`
	ShareSet          string        `json:"share_set"`
	Shares            []ShareRecord `json:"shares"`
	MasterFingerprint string        `json:"master_fingerprint"`
	AccountPath       string        `json:"account_path"`
	AccountXpub       string        `json:"account_xpub"`
	AccountSLIP132    string        `json:"account_slip132,omitempty"`
	Descriptor        string        `json:"descriptor"`
	Cosigner          string        `json:"bip48_cosigner"`
	EntropySource     string        `json:"entropy_source"`
	Software          string        `json:"software"`
	DeviceKeyID       string        `json:"device_key_id"`
	DevicePublicKey   string        `json:"device_public_key"`
}

// ShareRecord lets an auditor check a presented share against the ceremony
// without combining anything.
type ShareRecord struct {
	Index     int    `json:"index"`
	Custodian string `json:"custodian,omitempty"`
	SHA256    string `json:"sha256"`
}

// signedTranscript is transcript.json: the body exactly as signed, and the
// signature over the signing context followed by those bytes.
type signedTranscript struct {
	Transcript json.RawMessage `json:"transcript"`
	Signature  string          `json:"signature"`
}

// Run performs the in-memory part of a ceremony. Entropy comes from rand
// (crypto/rand in production), optionally mixed with dice, or from an
// imported mnemonic. Before returning, it recombines the shares to prove
// they rebuild this wallet. Every secret buffer is wiped before return.
func Run(p Params, rand io.Reader, now time.Time, signer Signer) (*Result, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	entropy, source, err := p.entropy(rand)
	if err != nil {
		return nil, err
	}
	defer hd.Wipe(entropy)

	master, err := hd.MasterFromEntropy(entropy, p.Network)
	if err != nil {
		return nil, err
	}
	defer master.Wipe()
	fp := master.Fingerprint()
	desc, err := master.Account(p.Script, 0)
	if err != nil {
		return nil, err
	}
	cosOrigin, cosKey, err := master.CosignerKey(0)
	if err != nil {
		return nil, err
	}
	shares, err := splitAvoiding(entropy, p.Threshold, p.Total, fp, rand, p.InUse)
	if err != nil {
		return nil, err
	}
	if err := CheckShares(shares); err != nil {
		wipeShares(shares)
		return nil, fmt.Errorf("the new shares do not recombine (nothing was written): %w", err)
	}

	var id [16]byte
	if _, err := io.ReadFull(rand, id[:]); err != nil {
		wipeShares(shares)
		return nil, fmt.Errorf("reading randomness: %w", err)
	}
	name := p.Name
	if name == "" {
		name = fmt.Sprintf("%x-%s", fp, p.Script)
	}
	slip, _ := descriptor.SLIP132(desc.Key, p.Script, p.Network)
	t := Transcript{
		Format:            TranscriptFormat,
		CeremonyID:        hex.EncodeToString(id[:]),
		Time:              now.UTC().Truncate(time.Second),
		Kind:              "generated",
		WalletName:        name,
		Network:           p.Network.String(),
		Script:            p.Script.String(),
		Words:             len(entropy) * 3 / 4,
		Threshold:         p.Threshold,
		Total:             p.Total,
		ShareSet:          shares[0].SetName(),
		MasterFingerprint: hex.EncodeToString(fp[:]),
		AccountPath:       "m/" + strings.SplitN(desc.Origin.String(), "/", 2)[1],
		AccountXpub:       desc.Key.String(),
		Descriptor:        desc.String(),
		Cosigner:          fmt.Sprintf("[%s]%s", cosOrigin, cosKey),
		EntropySource:     source,
		Software:          p.Software,
		DeviceKeyID:       home.KeyID(signer.PublicKey()),
		DevicePublicKey:   base64.StdEncoding.EncodeToString(signer.PublicKey()),
	}
	if slip != t.AccountXpub {
		t.AccountSLIP132 = slip
	}
	if p.Mnemonic != nil {
		t.Kind = "imported"
	}
	for i, s := range shares {
		d := s.Digest()
		rec := ShareRecord{Index: s.Index, SHA256: hex.EncodeToString(d[:])}
		if len(p.Custodians) > 0 {
			rec.Custodian = p.Custodians[i]
		}
		t.Shares = append(t.Shares, rec)
	}
	file, err := signTranscript(t, signer)
	if err != nil {
		wipeShares(shares)
		return nil, err
	}
	return &Result{
		Shares:         shares,
		Transcript:     t,
		TranscriptFile: file,
		Descriptor:     desc,
		WatchOnly:      watchOnly(t, desc),
	}, nil
}

func (p *Params) check() error {
	if p.Script.Multisig() {
		return fmt.Errorf("a ceremony makes one key's wallet; %s is a multisig script: run a ceremony on each cosigner's kiosk, then register the multisig wallet", p.Script)
	}
	if p.Threshold < 2 {
		return fmt.Errorf("threshold %d would let one person move the funds alone: use 2 or more", p.Threshold)
	}
	if p.Total > 16 {
		return fmt.Errorf("%d shares is more than the 16 a share set may have", p.Total)
	}
	if p.Threshold > p.Total {
		return fmt.Errorf("threshold %d is more than the %d shares: no quorum could ever form", p.Threshold, p.Total)
	}
	if p.Mnemonic == nil && p.Words != 12 && p.Words != 24 {
		return fmt.Errorf("a new seed has 12 or 24 words, not %d", p.Words)
	}
	if p.Mnemonic != nil && p.Dice != nil {
		return errors.New("dice add entropy to a new seed; an imported mnemonic already has its own: give one or the other")
	}
	if n := len(p.Custodians); n != 0 && n != p.Total {
		return fmt.Errorf("%d custodian names for %d shares: name every custodian or none", n, p.Total)
	}
	for i, c := range p.Custodians {
		if strings.TrimSpace(c) == "" || strings.ContainsAny(c, "\n\r") || len(c) > 64 {
			return fmt.Errorf("custodian name %d must be 1 to 64 characters on one line", i+1)
		}
	}
	if p.Name != "" {
		if err := home.CheckWalletName(p.Name); err != nil {
			return err
		}
	}
	return nil
}

// entropy returns the seed entropy and a description of its source.
func (p *Params) entropy(rand io.Reader) ([]byte, string, error) {
	if p.Mnemonic != nil {
		e, err := hd.MnemonicToEntropy(p.Mnemonic)
		if err != nil {
			return nil, "", fmt.Errorf("imported mnemonic: %w", err)
		}
		return e, "imported BIP39 mnemonic", nil
	}
	e := make([]byte, p.Words*4/3)
	if _, err := io.ReadFull(rand, e); err != nil {
		return nil, "", fmt.Errorf("reading randomness: %w", err)
	}
	if p.Dice == nil {
		return e, "crypto/rand", nil
	}
	if err := CheckDice(p.Dice, len(e)*8); err != nil {
		hd.Wipe(e)
		return nil, "", err
	}
	MixDice(e, p.Dice)
	return e, fmt.Sprintf("crypto/rand xor sha256(%d dice rolls)", len(p.Dice)), nil
}

// CheckShares proves that shares rebuild the wallet they commit to. It
// recombines windows of threshold shares that together cover every share,
// so a share that does not lie on the set's polynomial is found.
func CheckShares(shares []*shamir.Share) error {
	if len(shares) == 0 {
		return errors.New("no shares")
	}
	k := shares[0].Threshold
	for start := 0; ; start += k {
		if start+k > len(shares) {
			start = len(shares) - k
		}
		e, err := shamir.Combine(shares[start:start+k], hd.EntropyFingerprint)
		if err != nil {
			return err
		}
		hd.Wipe(e)
		if start+k == len(shares) {
			return nil
		}
	}
}

func wipeShares(shares []*shamir.Share) {
	for _, s := range shares {
		s.Wipe()
	}
}

// Wipe zeroes the shares held in r.
func (r *Result) Wipe() { wipeShares(r.Shares) }

// Wallet is what the kiosk registers for this ceremony.
func (r *Result) Wallet() home.Wallet {
	t := r.Transcript
	sum := sha256.Sum256(r.TranscriptFile)
	return home.Wallet{
		Name:             t.WalletName,
		Network:          t.Network,
		Script:           t.Script,
		Fingerprint:      t.MasterFingerprint,
		Descriptor:       t.Descriptor,
		AccountXpub:      t.AccountXpub,
		Cosigner:         t.Cosigner,
		ShareSet:         t.ShareSet,
		Threshold:        t.Threshold,
		Total:            t.Total,
		CeremonyID:       t.CeremonyID,
		TranscriptSHA256: hex.EncodeToString(sum[:]),
		Created:          t.Time,
	}
}

func signTranscript(t Transcript, signer Signer) ([]byte, error) {
	body, err := json.MarshalIndent(t, "  ", "  ")
	if err != nil {
		return nil, err
	}
	sig := signer.Sign(append([]byte(signingContext), body...))
	out, err := json.MarshalIndent(signedTranscript{Transcript: body, Signature: base64.StdEncoding.EncodeToString(sig)}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// MaxTranscriptBytes bounds a transcript file before it is parsed.
const MaxTranscriptBytes = 1 << 20

// VerifyTranscript checks a transcript.json's signature with the device key
// it names and returns the transcript. When trusted is not nil, the
// signature must also be by that key. Checks of the content against the
// wallet belong to the auditor's tool.
func VerifyTranscript(data []byte, trusted ed25519.PublicKey) (*Transcript, error) {
	if len(data) > MaxTranscriptBytes {
		return nil, fmt.Errorf("transcript is %d bytes, more than %d", len(data), MaxTranscriptBytes)
	}
	var st signedTranscript
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("not a ceremony transcript: %w", err)
	}
	var t Transcript
	dec := json.NewDecoder(bytes.NewReader(st.Transcript))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("not a ceremony transcript: %w", err)
	}
	if t.Format != TranscriptFormat {
		return nil, fmt.Errorf("transcript format %q is not %q", t.Format, TranscriptFormat)
	}
	pub, err := base64.StdEncoding.DecodeString(t.DevicePublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("transcript's device public key is not a base64 ed25519 key")
	}
	if trusted != nil && !bytes.Equal(pub, trusted) {
		return nil, fmt.Errorf("transcript was signed by device %s, not the trusted device %s", home.KeyID(pub), home.KeyID(trusted))
	}
	sig, err := base64.StdEncoding.DecodeString(st.Signature)
	if err != nil || !ed25519.Verify(pub, append([]byte(signingContext), st.Transcript...), sig) {
		return nil, fmt.Errorf("transcript signature does not verify with device key %s: the transcript was changed or not signed by that device", home.KeyID(pub))
	}
	return &t, nil
}

func watchOnly(t Transcript, d *descriptor.Descriptor) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# airsign watch-only export: public keys only, no secret\n")
	fmt.Fprintf(&b, "# wallet %s  network %s  script %s  master fingerprint %s\n", t.WalletName, t.Network, t.Script, t.MasterFingerprint)
	fmt.Fprintf(&b, "# ceremony %s  %s\n\n", t.CeremonyID, t.Time.Format(time.RFC3339))
	fmt.Fprintf(&b, "descriptor: %s\n", t.Descriptor)
	fmt.Fprintf(&b, "receive: %s\n", d.Branch(0))
	fmt.Fprintf(&b, "change: %s\n", d.Branch(1))
	fmt.Fprintf(&b, "account: [%s]%s\n", d.Origin, t.AccountXpub)
	if t.AccountSLIP132 != "" {
		fmt.Fprintf(&b, "account-slip132: %s\n", t.AccountSLIP132)
	}
	fmt.Fprintf(&b, "bip48-cosigner: %s\n", t.Cosigner)
	// The first address lets people compare with another wallet, for
	// instance after a restore ceremony.
	if addr, err := d.Address(0, 0); err == nil {
		fmt.Fprintf(&b, "first-receive-address: %s\n", addr)
	}
	return []byte(b.String())
}

// splitAvoiding splits entropy into a set whose id is none of inUse. The id
// is 16 random bits, so a kiosk with a few wallets draws again rarely;
// 64 draws that all hit inUse mean the randomness is broken.
func splitAvoiding(entropy []byte, k, n int, fp [4]byte, rand io.Reader, inUse []uint16) ([]*shamir.Share, error) {
	for try := 0; try < 64; try++ {
		shares, err := shamir.Split(entropy, k, n, fp, rand)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(inUse, shares[0].SetID) {
			return shares, nil
		}
		wipeShares(shares)
	}
	return nil, fmt.Errorf("64 random share set ids were all in use on this kiosk: the random source is broken; nothing was written")
}
