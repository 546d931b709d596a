package qr

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	qrcode "github.com/skip2/go-qrcode"
)

// withdrawalPSBT is an unsigned P2WPKH withdrawal of n inputs as the
// coordinator sends it: a full previous transaction (1 input, 2 outputs)
// for every input, a witness UTXO and a BIP32 derivation, a payment and a
// change output. Ten inputs make about 3.8 KB, the example.
func withdrawalPSBT(tb testing.TB, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 11))
	random := func(k int) []byte {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	p2wpkh := func() []byte { return append([]byte{0, 20}, random(20)...) }
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	for i := 0; i < n; i++ {
		prev := wire.NewMsgTx(2)
		var h chainhash.Hash
		copy(h[:], random(32))
		in := wire.NewTxIn(&wire.OutPoint{Hash: h, Index: 1}, nil, [][]byte{random(71), append([]byte{2}, random(32)...)})
		prev.AddTxIn(in)
		prev.AddTxOut(wire.NewTxOut(int64(r.IntN(1e8)), p2wpkh()))
		prev.AddTxOut(wire.NewTxOut(int64(r.IntN(1e8)), p2wpkh()))
		prevs = append(prevs, prev)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash(), Index: 0}, nil, nil))
	}
	tx.AddTxOut(wire.NewTxOut(50_000, p2wpkh()))
	tx.AddTxOut(wire.NewTxOut(40_000, p2wpkh()))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		tb.Fatal(err)
	}
	path := []uint32{84 | 1<<31, 1 | 1<<31, 1 << 31, 0, 7}
	for i := range p.Inputs {
		p.Inputs[i].NonWitnessUtxo = prevs[i]
		p.Inputs[i].WitnessUtxo = prevs[i].TxOut[0]
		p.Inputs[i].Bip32Derivation = []*btcpsbt.Bip32Derivation{{PubKey: append([]byte{3}, random(32)...), MasterKeyFingerprint: 0x0adac573, Bip32Path: path}}
	}
	p.Outputs[1].Bip32Derivation = []*btcpsbt.Bip32Derivation{{PubKey: append([]byte{2}, random(32)...), MasterKeyFingerprint: 0x0adac573, Bip32Path: path}}
	var buf bytes.Buffer
	if err := p.Serialize(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// framesNeeded shows a looping animation to a receiver that loses each frame
// with probability loss, and counts the frames shown until it has the
// payload. next returns the i-th frame of the loop.
func framesNeeded(tb testing.TB, next func(i int) string, loss float64, r *rand.Rand) int {
	d := NewDecoder()
	for i := 0; i < 10_000; i++ {
		part := next(i)
		if r.Float64() < loss {
			continue
		}
		done, err := d.Add(part)
		if err != nil {
			tb.Fatal(err)
		}
		if done {
			return i + 1
		}
	}
	tb.Fatal("never completed")
	return 0
}

// loop returns the frames of a transfer as the product shows them, from
// its Emitter: UR's endless fountain stream, or the parts of other formats
// over and over. density is UR's maximum fragment or BBQr's maximum version.
func loop(tb testing.TB, psbt []byte, f Format, density int) (next func(int) string, parts []string) {
	opt := EncodeOptions{Format: f, MaxFragment: density}
	if f == FormatBBQr {
		opt = EncodeOptions{Format: f, BBQrMaxVersion: density}
	}
	e, err := NewEmitter(psbt, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return func(i int) string { return e.Frame(i + 1) }, e.Loop()
}

func qrVersion(tb testing.TB, parts []string) int {
	v := 0
	for _, p := range parts {
		q, err := qrcode.New(p, qrcode.Low)
		if err != nil {
			tb.Fatal(err)
		}
		v = max(v, q.VersionNumber)
	}
	return v
}

// BenchmarkTransfer is the transfer table of docs/BENCHMARKS.md: for
// withdrawals of 1, 10 and 100 inputs, each format and density, the QR
// version of the densest frame (level L), the frames a receiver needs on
// average over 40 trials at 0%, 10% and 30% loss, the seconds of animation
// that is at 5 frames/s, and the time to draw one frame.
func BenchmarkTransfer(b *testing.B) {
	densities := map[Format][]int{FormatUR: {100, 200, 400}, FormatBBQr: {10, 15, 20}}
	for _, inputs := range []int{1, 10, 100} {
		psbt := withdrawalPSBT(b, inputs, 1)
		for _, f := range []Format{FormatUR, FormatBBQr} {
			for _, density := range densities[f] {
				name := fmt.Sprintf("%dinputs-%dB/%s-%d", inputs, len(psbt), f, density)
				b.Run(name, func(b *testing.B) {
					next, parts := loop(b, psbt, f, density)
					start := time.Now()
					for i := 0; i < b.N; i++ {
						if _, err := PNG([]byte(parts[i%len(parts)]), ImageOptions{Level: Low, ModulePixels: 6}); err != nil {
							b.Fatal(err)
						}
					}
					drawn := b.N
					// ResetTimer would delete reported metrics: the frame
					// counts are reported after the timed loop.
					r := rand.New(rand.NewPCG(uint64(inputs), uint64(density)))
					for _, loss := range []float64{0, 0.1, 0.3} {
						total := 0
						for trial := 0; trial < 40; trial++ {
							total += framesNeeded(b, next, loss, r)
						}
						avg := float64(total) / 40
						b.ReportMetric(avg, fmt.Sprintf("frames@%.0f%%", 100*loss))
						if loss == 0.1 {
							b.ReportMetric(avg/5, "s@5fps,10%")
						}
					}
					b.ReportMetric(float64(qrVersion(b, parts)), "version")
					b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(drawn), "ms/frame")
				})
			}
		}
	}
}
