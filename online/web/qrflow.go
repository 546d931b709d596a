package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/ui/qr"
	"airsign/ui/qr/bbqr"
	"airsign/ui/qr/ur"
)

// plural is one when n is 1, else many with n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

// density maps the page's density control to a setting of qrDensities:
// fewer, denser frames for a good camera, more and simpler ones for a poor
// one. The default is the densest, which the kiosk's camera reads.
func density(s string) string {
	if _, ok := qrDensities[s]; ok {
		return s
	}
	return "high"
}

// qrDensities are the density control's settings: UR's largest fragment
// (0: what fits QR version qr.DefaultVersion, for other wallets' cameras)
// and BBQr's largest version (high: qr.AirsignVersion, which the kiosk's
// camera reads).
var qrDensities = map[string]struct{ urFragment, bbqrVersion int }{
	"low":    {100, 10},
	"medium": {200, 12},
	"high":   {0, qr.AirsignVersion},
}

// qrFormat maps the page's format control to a transfer format: BBQr
// (compressed, the fewest frames), which the airsign kiosk and approver
// station read, unless UR is asked for, which other wallets read.
func qrFormat(s string) qr.Format {
	if s == "ur" {
		return qr.FormatUR
	}
	return qr.FormatBBQr
}

// formatName is the page's Format control for the query's format: "ur",
// or "bbqr" (the default, for anything else).
func formatName(s string) string {
	if qrFormat(s) == qr.FormatUR {
		return "ur"
	}
	return "bbqr"
}

// emitter is the frames of a PSBT in a format at a density. The encoding
// is deterministic, so frame n is the same on every request and the
// browser may fetch them in any order; a UR stream is endless, fresh
// fountain parts up to qr.EndlessPeriod.
func (h *Handler) emitter(data []byte, d string, f qr.Format) (*qr.Emitter, error) {
	set := qrDensities[density(d)]
	return qr.NewEmitter(data, qr.EncodeOptions{Format: f, MaxFragment: set.urFragment, BBQrMaxVersion: set.bbqrVersion})
}

// parts is the loop of frames the page shows first, in the default format.
func (h *Handler) parts(data []byte, d string, f qr.Format) ([]string, error) {
	e, err := h.emitter(data, d, f)
	if err != nil {
		return nil, err
	}
	return e.Loop(), nil
}

var frameImage = qr.ImageOptions{Level: qr.Low, ModulePixels: 6}

// psbtVersion is the page's PSBT version control: the version the query
// asks for, or 0 (every wallet reads it) when it asks for none or for one
// airsign does not write; the frames and the file refuse the latter in
// words, the page shows what it offers instead.
func psbtVersion(s string) int {
	v, err := coordinator.ParsePSBTVersion(s)
	if err != nil {
		return 0
	}
	return v
}

// pendingPSBT is the request's current PSBT, in the version the query's
// psbt_version asks for (0, the default, or 2 for wallets that read only
// BIP-370); it answers the error itself. Only a pending request's: the
// page offers no other, and a cancelled or broadcast request's PSBT is
// not one to carry to a kiosk.
func (h *Handler) pendingPSBT(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	wd, err := h.c.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	if wd.Status != store.StatusPending {
		h.fail(w, r, fmt.Errorf("%w: request %s is %s: its QR codes and unsigned PSBT are offered only while it is pending", coordinator.ErrWrongState, wd.ID, wd.State))
		return nil, false
	}
	v, err := coordinator.ParsePSBTVersion(r.URL.Query().Get("psbt_version"))
	if err == nil {
		wd.PSBT, err = coordinator.PSBTInVersion(wd.PSBT, v)
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return wd.PSBT, true
}

// requestEmitter is the request's current PSBT as the frames the query
// asks for (density, format); it answers the error itself.
func (h *Handler) requestEmitter(w http.ResponseWriter, r *http.Request) (*qr.Emitter, bool) {
	data, ok := h.pendingPSBT(w, r)
	if !ok {
		return nil, false
	}
	q := r.URL.Query()
	e, err := h.emitter(data, q.Get("density"), qrFormat(q.Get("format")))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return e, true
}

// frameCount says how many frames the page loops (frames) and whether it
// should rather go on fetching fresh ones (endless, UR): a page from
// before endless streams loops the frames and still completes.
func (h *Handler) frameCount(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	e, ok := h.requestEmitter(w, r)
	if !ok {
		return
	}
	period := e.LoopLen()
	if e.Endless() {
		period = qr.EndlessPeriod
	}
	writeJSON(w, http.StatusOK, map[string]any{"frames": e.LoopLen(), "endless": e.Endless(), "period": period, "format": e.Format().String()})
}

// frame serves frame n (1-based, "n.png") of the request's current PSBT:
// up to the loop's length, or up to qr.EndlessPeriod for an endless UR
// stream.
func (h *Handler) frame(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	num, ok := strings.CutSuffix(r.PathValue("n"), ".png")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 1 || n > qr.EndlessPeriod {
		h.refuse(w, r, http.StatusNotFound, "frames are named 1.png, 2.png, …", nil)
		return
	}
	e, ok := h.requestEmitter(w, r)
	if !ok {
		return
	}
	if !e.Endless() && n > e.LoopLen() {
		h.refuse(w, r, http.StatusNotFound, fmt.Sprintf("this request has %d frames at that density", e.LoopLen()), nil)
		return
	}
	png, err := qr.PNG([]byte(e.Frame(n)), frameImage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

// animatedGIF is the frames as a GIF, which must loop: the emitter's
// Loop, long enough for a UR stream that a receiver losing 30% of frames
// rarely sees it come round.
func (h *Handler) animatedGIF(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	e, ok := h.requestEmitter(w, r)
	if !ok {
		return
	}
	gif, err := qr.AnimatedGIF(e.Loop(), frameImage, 4)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", r.PathValue("id")+"-unsigned.gif"))
	w.Write(gif)
}

// unsignedPSBT is the request's unsigned PSBT as a file, for wallets that
// take PSBTs by file (Sparrow, Electrum, a hardware wallet's SD card), in
// the version the query asks for. Like the frames and the GIF it is not
// recorded in the audit log: it is what any viewer may see of the request.
func (h *Handler) unsignedPSBT(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	data, ok := h.pendingPSBT(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", r.PathValue("id")+"-unsigned.psbt"))
	w.Write(data)
}

// scans holds the partial transfers of signed PSBTs coming back, one per
// session and request, so frames may arrive one POST at a time (camera) and
// the progress bar moves. They are dropped after scanIdle without frames,
// and there are at most maxScans at once.
type scans struct {
	mu sync.Mutex
	m  map[string]*scanState
}

// scanState is one session's transfer for one request. Its mutex is held
// for a whole feed: two tabs, or the camera and an upload, must not write
// its decoder (a Go map inside) at once, nor finalize it twice.
type scanState struct {
	mu                sync.Mutex
	dec               *qr.Decoder
	frames, unreadble int
	// parts counts the QR parts the decoder took.
	parts    int
	finished bool
	last     time.Time
	// shown is what the request page says of the transfer; it is
	// written under scans.mu so the page need not wait for a feed.
	shown transferStatus
}

// transferStatus is a transfer under way as the request page shows it.
type transferStatus struct {
	Parts    int
	Progress float64
}

// uploadPattern is the upload form's route: the one POST whose CSRF token
// its handler checks, in the multipart body.
const uploadPattern = "POST /requests/{id}/upload"

// stationImagePattern is the route of an approver station's QR code as an
// image, which checks its CSRF token as the upload does.
const stationImagePattern = "POST /requests/{id}/station-approval/image"

const (
	maxScans = 64
	// maxSessionScans keeps one session from taking the slots of all:
	// a person carries one or two transfers at a time.
	maxSessionScans = 4
	scanIdle        = 10 * time.Minute
)

func newScans() *scans { return &scans{m: map[string]*scanState{}} }

func (sc *scans) get(key string, now time.Time) (*scanState, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for k, st := range sc.m {
		if now.Sub(st.last) > scanIdle {
			delete(sc.m, k)
		}
	}
	st := sc.m[key]
	if st == nil {
		if len(sc.m) >= maxScans {
			return nil, errors.New("too many transfers are under way on this coordinator; try again in a few minutes")
		}
		// A key is the session id's 32-byte hash, NUL, the request id.
		session := key[:min(len(key), sha256.Size)]
		mine := 0
		for k := range sc.m {
			if strings.HasPrefix(k, session+"\x00") {
				mine++
			}
		}
		if mine >= maxSessionScans {
			return nil, fmt.Errorf("you have %d transfers under way; finish one (or wait %s) before starting another", mine, scanIdle)
		}
		st = &scanState{dec: qr.NewDecoder()}
		sc.m[key] = st
	}
	st.last = now
	return st, nil
}

// dropSession forgets a signed-out session's transfers.
func (sc *scans) dropSession(idHash []byte) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for k := range sc.m {
		if strings.HasPrefix(k, string(idHash)+"\x00") {
			delete(sc.m, k)
		}
	}
}

// drop forgets the transfer st under key, unless Start over already
// replaced it with a new one.
func (sc *scans) drop(key string, st *scanState) {
	sc.mu.Lock()
	if sc.m[key] == st {
		delete(sc.m, key)
	}
	sc.mu.Unlock()
}

// reset forgets the transfer under key whatever it holds (Start over).
// A feed still reading an image into it finishes on the forgotten one.
func (sc *scans) reset(key string) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	_, ok := sc.m[key]
	delete(sc.m, key)
	return ok
}

// status is the transfer under key as the page shows it, or nil when
// none holds a part.
func (sc *scans) status(key string, now time.Time) *transferStatus {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	st := sc.m[key]
	if st == nil || now.Sub(st.last) > scanIdle || st.shown.Parts == 0 {
		return nil
	}
	shown := st.shown
	return &shown
}

func (sc *scans) show(st *scanState) {
	sc.mu.Lock()
	st.shown = transferStatus{Parts: st.parts, Progress: st.dec.Progress()}
	sc.mu.Unlock()
}

// scanKey names a session's transfer for one request: the session id's
// 32-byte hash, NUL, the request id.
func scanKey(s *sessionInfo, id string) string { return string(s.idHash) + "\x00" + id }

// otherTransfer says whether err refuses a part for belonging to another
// transfer than the one under way: a stale code of an earlier request, or
// another PSBT's frames.
func otherTransfer(dec *qr.Decoder, part string, err error) bool {
	if errors.Is(err, ur.ErrOtherMessage) || errors.Is(err, bbqr.ErrOtherSeries) {
		return true
	}
	f := dec.Format()
	return f != 0 && qr.DetectFormat(strings.TrimSpace(part)) != f
}

// restartScan is Start over: it discards this session's transfer for the
// request, so frames of another PSBT scanned by mistake no longer hold
// the right ones back.
func (h *Handler) restartScan(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	id := r.PathValue("id")
	if _, err := h.c.Get(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	had := h.scans.reset(scanKey(s, id))
	h.record("web-transfer-restart", map[string]any{"request": id, "user": s.user.Name, "had": had})
	http.Redirect(w, r, "/requests/"+id+"?done=restarted", http.StatusSeeOther)
}

type scanReply struct {
	Progress   float64 `json:"progress"`
	Frames     int     `json:"frames"`
	Parts      int     `json:"parts"`
	Unreadable int     `json:"unreadable"`
	Done       bool    `json:"done"`
	Message    string  `json:"message"`
	Redirect   string  `json:"redirect,omitempty"`
	Error      bool    `json:"error,omitempty"`
	Fatal      bool    `json:"fatal,omitempty"`
}

// maxDecodeTime bounds the time one uploaded image may take to decode: a
// kiosk's animated GIF of a large PSBT reads in a few seconds.
const maxDecodeTime = 10 * time.Second

// startDecoding takes the user's decoding turn, or says it is taken.
func (h *Handler) startDecoding(user string) bool {
	h.userDecodingMu.Lock()
	defer h.userDecodingMu.Unlock()
	if h.userDecoding[user] {
		return false
	}
	h.userDecoding[user] = true
	return true
}

func (h *Handler) doneDecoding(user string) {
	h.userDecodingMu.Lock()
	delete(h.userDecoding, user)
	h.userDecodingMu.Unlock()
}

// scan takes one image (a camera frame, or one uploaded file: PNG, JPEG or
// an animated GIF) as the request body, adds its QR frames to the
// session's transfer for this request and, once complete, finalizes and
// broadcasts. The body is capped before it is read.
func (h *Handler) scan(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	id := r.PathValue("id")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxScanBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, scanReply{Error: true,
				Message: fmt.Sprintf("That image is over %d MiB. Upload the kiosk's frames or GIF as they are, without enlarging them.", maxScanBytes>>20)})
			return
		}
		writeJSON(w, http.StatusBadRequest, scanReply{Error: true, Message: "The image could not be read: " + err.Error()})
		return
	}
	status, reply := h.feed(r, s, id, [][]byte{body})
	writeJSON(w, status, reply)
}

// upload is the form post without JavaScript: every file of a multipart
// body, then the same as scan. The whole body is capped at MaxUpload and
// each file at qr.MaxImageBytes before anything is allocated for them.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	id := r.PathValue("id")
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		h.showRequestError(w, r, s, fmt.Errorf("%w: send the signed frames as a file upload (multipart/form-data)", coordinator.ErrInvalid))
		return
	}
	files, err := readUpload(http.MaxBytesReader(w, r.Body, h.opts.MaxUpload), params["boundary"], s.csrf)
	if err != nil {
		if errors.Is(err, errCSRF) {
			h.refuse(w, r, http.StatusForbidden, err.Error(), map[string]any{"user": s.user.Name, "reason": "csrf"})
			return
		}
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			err = fmt.Errorf("%w: the upload is over %d MiB; upload the kiosk's frames or its GIF as they are", coordinator.ErrInvalid, h.opts.MaxUpload>>20)
		} else {
			err = fmt.Errorf("%w: %v", coordinator.ErrInvalid, err)
		}
		h.showRequestError(w, r, s, err)
		return
	}
	status, reply := h.feed(r, s, id, files)
	if reply.Redirect != "" {
		http.Redirect(w, r, reply.Redirect, http.StatusSeeOther)
		return
	}
	if !reply.Error {
		status = http.StatusUnprocessableEntity // the upload did not complete the transfer
	}
	h.showRequestMsg(w, r, s, status, reply.Message)
}

// isImage says whether data starts as the PNG, JPEG and GIF images the
// QR decoder reads do.
func isImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte("\x89PNG")) || bytes.HasPrefix(data, []byte("\xff\xd8\xff")) || bytes.HasPrefix(data, []byte("GIF8"))
}

// isSigned says whether data is a file a wallet saves a signed PSBT or
// transaction in; anything else goes to the QR decoder, which says what
// it is not.
func isSigned(data []byte) bool {
	if coordinator.LooksLikePSBT(data) {
		return true
	}
	_, err := coordinator.ParseRawTx(data)
	return err == nil
}

var errCSRF = errors.New("the upload's security token is missing or stale; reload the page and upload again")

// readUpload reads a multipart body: the "csrf" field must come first and
// match want, then up to maxUploadFiles "frames" files of at most
// qr.MaxImageBytes each. Other fields are refused.
func readUpload(body io.Reader, boundary, want string) ([][]byte, error) {
	mr := multipart.NewReader(body, boundary)
	var files [][]byte
	sawCSRF := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the upload is not a well-formed form: %w", err)
		}
		switch part.FormName() {
		case "csrf":
			got, err := io.ReadAll(io.LimitReader(part, 128))
			if err != nil {
				return nil, err
			}
			if sawCSRF || subtle.ConstantTimeCompare(got, []byte(want)) != 1 {
				return nil, errCSRF
			}
			sawCSRF = true
		case "frames":
			if !sawCSRF {
				return nil, errCSRF
			}
			if len(files) == maxUploadFiles {
				return nil, fmt.Errorf("more than %d files; upload the kiosk's animated GIF instead of its frames", maxUploadFiles)
			}
			data, err := io.ReadAll(io.LimitReader(part, qr.MaxImageBytes+1))
			if err != nil {
				return nil, err
			}
			if len(data) > qr.MaxImageBytes {
				return nil, fmt.Errorf("file %q is over %d MiB; that is not a QR image", capText(part.FileName(), 100), qr.MaxImageBytes>>20)
			}
			if len(data) > 0 {
				files = append(files, data)
			}
		default:
			return nil, fmt.Errorf("unexpected form field %q", capText(part.FormName(), 40))
		}
	}
	if !sawCSRF {
		return nil, errCSRF
	}
	if len(files) == 0 {
		return nil, errors.New("no file was uploaded; choose the kiosk's signed QR images or its GIF")
	}
	return files, nil
}

// feed adds images to the session's transfer for request id and, when it
// is complete, finalizes and broadcasts. One file that is not an image is
// what a wallet that signs without QR codes saved: a signed PSBT, or a
// signed raw transaction (binary or hex), finalized as it is.
func (h *Handler) feed(r *http.Request, s *sessionInfo, id string, images [][]byte) (int, scanReply) {
	if _, err := h.c.Get(r.Context(), id); err != nil {
		status, msg := classify(err)
		return status, scanReply{Error: true, Fatal: true, Message: msg}
	}
	if len(images) == 1 && !isImage(images[0]) && isSigned(images[0]) {
		return h.finalizeReturned(r, s, id, images[0], scanReply{Done: true, Progress: 1})
	}
	key := scanKey(s, id)
	st, err := h.scans.get(key, h.opts.Now())
	if err != nil {
		return http.StatusServiceUnavailable, scanReply{Error: true, Fatal: true, Message: err.Error()}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.finished {
		return http.StatusConflict, scanReply{Error: true, Fatal: true, Done: true, Progress: 1,
			Message: "This transfer was already completed by another upload or scan; reload the request page."}
	}
	// Decoding an image costs memory and CPU in proportion to its pixels:
	// one at a time per user, a few at a time in all, and each for at most
	// maxDecodeTime.
	if !h.startDecoding(s.user.Name) {
		return http.StatusTooManyRequests, scanReply{Error: true,
			Message: "Your previous image is still being read; send the next one when it is done."}
	}
	defer h.doneDecoding(s.user.Name)
	select {
	case h.decoding <- struct{}{}:
		defer func() { <-h.decoding }()
	case <-r.Context().Done():
		return http.StatusServiceUnavailable, scanReply{Error: true, Message: "The upload was abandoned."}
	}
	var lastErr error
	other := 0 // parts of another transfer
	defer h.scans.show(st)
	for i, img := range images {
		ctx, cancel := context.WithTimeout(r.Context(), maxDecodeTime)
		results, err := qr.DecodeFramesContext(ctx, img)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			// What was read counts; the rest of the image is dropped.
			lastErr = fmt.Errorf("image %d took more than %s to read; %d of its frames were read: send fewer frames at a time", i+1, maxDecodeTime, len(results))
		} else if err != nil {
			lastErr = fmt.Errorf("image %d: %v", i+1, err)
			st.unreadble++
			continue
		}
		for _, fr := range results {
			st.frames++
			if fr.Err != nil {
				st.unreadble++
				continue
			}
			if _, err := st.dec.Add(string(fr.Text)); err != nil {
				// A frame of another transfer (an earlier request's
				// code still on screen) is reported, not fatal.
				lastErr = err
				if otherTransfer(st.dec, string(fr.Text), err) {
					other++
				}
				continue
			}
			st.parts++
		}
	}
	reply := scanReply{Progress: st.dec.Progress(), Frames: st.frames, Parts: st.parts, Unreadable: st.unreadble}
	payload, err := st.dec.Result()
	if err != nil {
		reply.Message = fmt.Sprintf("%.0f%% received (frames read: %d; without a readable code: %d). Keep scanning or add more frames.",
			100*reply.Progress, st.frames-st.unreadble, st.unreadble)
		switch {
		case other > 0:
			// Said in plain words: the person can do something about it.
			reply.Error = true
			reply.Message = fmt.Sprintf("%s belongs to another transfer than the one under way (%s of it arrived, %.0f%%). Finish the first one, or press Start over to read this one instead.",
				plural(other, "This code", "%d of these codes"), plural(st.parts, "1 part", "%d parts"), 100*reply.Progress)
		case lastErr != nil:
			reply.Message += " Last problem: " + lastErr.Error()
		}
		return http.StatusOK, reply
	}
	// Complete: whatever happens next, the next scan starts afresh.
	st.finished = true
	h.scans.drop(key, st)
	reply.Done, reply.Progress = true, 1
	switch payload.Kind {
	case qr.KindPSBT:
	case qr.KindText:
		// A wallet that finalizes itself shows the signed transaction
		// (hex, or Electrum's base43).
		if _, err := coordinator.ParseRawTx(payload.Data); err != nil {
			reply.Error, reply.Message = true, fmt.Sprintf("The QR code carries text that is neither a signed PSBT nor a signed transaction (%v). Scan the kiosk's signed-PSBT screen, or the wallet's signed transaction.", err)
			return http.StatusUnprocessableEntity, reply
		}
	default:
		reply.Error, reply.Message = true, fmt.Sprintf("The QR codes carry %s, not a signed PSBT. Scan the kiosk's signed-PSBT screen.", payload.Kind)
		return http.StatusUnprocessableEntity, reply
	}
	return h.finalizeReturned(r, s, id, payload.Data, reply)
}

// finalizeReturned finalizes and broadcasts what came back for request
// id, a signed PSBT or a signed raw transaction, in the name of the
// session's user, and says how it went in reply.
func (h *Handler) finalizeReturned(r *http.Request, s *sessionInfo, id string, data []byte, reply scanReply) (int, scanReply) {
	res, err := h.c.FinalizeAs(r.Context(), id, s.user.Name, true, data)
	var undecodable *coordinator.DecodeError
	var wrongTx *coordinator.WrongTxError
	switch {
	case errors.As(err, &undecodable):
		reply.Error, reply.Message = true, "What arrived is a PSBT that does not decode: "+undecodable.Err.Error()
		return http.StatusUnprocessableEntity, reply
	case errors.As(err, &wrongTx):
		reply.Error, reply.Message = true, fmt.Sprintf("This signed PSBT is for transaction %s, not this request's %s. Open the request it belongs to, or scan the right one.", wrongTx.Got, wrongTx.Want)
		return http.StatusUnprocessableEntity, reply
	case err != nil:
		status, msg := classify(err)
		if status == http.StatusInternalServerError {
			h.opts.Logf("web: finalize %s: %v", id, err)
		}
		reply.Error, reply.Message = true, msg
		return status, reply
	}
	reply.Message = fmt.Sprintf("Broadcast: %s (%d signatures verified).", res.TxID, res.Signatures)
	reply.Redirect = "/requests/" + id + "?done=broadcast"
	return http.StatusOK, reply
}
