package kioskapp

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"airsign/ui/qr"
)

// The file dialogs browse the removable media only. fyne's stock
// dialog.FileDialog walks the whole filesystem (its path bar goes up to
// /), selects one file at a time and shortens long names in a grid; a USB
// stick of QR frames needs the opposite. Every access below goes through
// an os.Root per medium, so neither ".." nor a symbolic link on a stick
// (to /, to /etc/passwd, to "../..") reaches a file outside it: the
// kernel resolves each step under the root's open directory.

// maxFileBytes bounds a file read from removable media.
const maxFileBytes = qr.MaxImageBytes

// maxOpenFiles bounds the files opened at once: the frames of the longest
// transfer the station reads as separate images (qr.MaxPMofNParts parts).
// An animated GIF's frames are bounded by qr.MaxGIFFrames.
const maxOpenFiles = qr.MaxPMofNParts

// maxListed bounds the entries of one folder shown in a dialog; a stick
// with more in one folder shows the first ones and says so.
const maxListed = 5_000

// maxNameBytes bounds a name typed for a new file or folder: FAT and
// exFAT sticks take 255 characters, and the station adds suffixes.
const maxNameBytes = 200

// mediaRoot is one folder the dialogs may browse, opened so that nothing
// reached through it leaves it.
type mediaRoot struct {
	path string // resolved: no symbolic link in it
	root *os.Root
}

// media is the roots a dialog browses, opened when it shows (a stick
// plugged in meanwhile appears) and closed when it goes.
type media struct{ roots []mediaRoot }

// openMedia opens the folders among paths that exist, each once.
func openMedia(paths []string) *media {
	m := &media{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		real, err := filepath.EvalSymlinks(filepath.Clean(p))
		if err != nil || slices.ContainsFunc(m.roots, func(r mediaRoot) bool { return r.path == real }) {
			continue
		}
		r, err := os.OpenRoot(real)
		if err != nil {
			continue
		}
		m.roots = append(m.roots, mediaRoot{path: real, root: r})
	}
	return m
}

func (m *media) close() {
	for _, r := range m.roots {
		r.root.Close()
	}
	m.roots = nil
}

// place is a folder on a medium: a root and a slash-separated path in it
// ("." at the top).
type place struct {
	root int
	rel  string
}

func (m *media) rootOf(p place) (mediaRoot, error) {
	if p.root < 0 || p.root >= len(m.roots) {
		return mediaRoot{}, errors.New("the removable medium is gone: insert it and press Refresh")
	}
	return m.roots[p.root], nil
}

// show is p as the operator reads it.
func (m *media) show(p place) string {
	r, err := m.rootOf(p)
	if err != nil {
		return ""
	}
	return filepath.Join(r.path, filepath.FromSlash(p.rel))
}

// mediaEntry is one line of a folder's listing.
type mediaEntry struct {
	name string
	dir  bool
	size int64
	// refused says why the entry cannot be opened or entered; "" if it can.
	refused string
}

// list reads the folder p, folders first, then files, by name. Hidden
// entries (".Trashes", macOS's "._" files) are left out. more says the
// folder holds more than maxListed entries.
func (m *media) list(p place) (entries []mediaEntry, more bool, err error) {
	r, err := m.rootOf(p)
	if err != nil {
		return nil, false, err
	}
	f, err := r.root.Open(p.rel)
	if err != nil {
		return nil, false, fmt.Errorf("%s cannot be read: %w", m.show(p), err)
	}
	defer f.Close()
	des, err := f.ReadDir(maxListed + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("%s cannot be read: %w", m.show(p), err)
	}
	if len(des) > maxListed {
		des, more = des[:maxListed], true
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			continue
		}
		e := mediaEntry{name: de.Name()}
		// Stat through the root follows a link only where it stays on
		// the medium.
		st, err := r.root.Stat(path.Join(p.rel, de.Name()))
		switch {
		case err != nil && de.Type()&fs.ModeSymlink != 0:
			e.refused = "a link that leads outside " + r.path + ": not followed"
		case err != nil:
			e.refused = "cannot be read"
		case st.IsDir():
			e.dir = true
		case !st.Mode().IsRegular():
			e.refused = "not a regular file"
		default:
			e.size = st.Size()
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b mediaEntry) int {
		if a.dir != b.dir {
			if a.dir {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return entries, more, nil
}

// checkName refuses a name that is not one entry of a folder, or that a
// USB stick's FAT or exFAT filesystem would not take.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("type a name")
	case name == "." || name == "..":
		return fmt.Errorf("%q is not a name: only the folders listed can be entered", name)
	case strings.ContainsAny(name, `/\:*?"<>|`):
		return fmt.Errorf("%q: a name on a USB stick cannot have any of / \\ : * ? \" < > |", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("%q starts with a dot and would be hidden: choose another name", name)
	case len(name) > maxNameBytes:
		return fmt.Errorf("the name is %d bytes long; keep it under %d", len(name), maxNameBytes)
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return fmt.Errorf("%q has a control character: choose another name", name)
	}
	return nil
}

// child is the entry name of the folder p, and p's medium.
func (m *media) child(p place, name string) (mediaRoot, place, error) {
	r, err := m.rootOf(p)
	if err != nil {
		return r, p, err
	}
	if err := checkName(name); err != nil {
		return r, p, err
	}
	return r, place{p.root, path.Join(p.rel, name)}, nil
}

// cannotOpen says why the entry at p did not open: a link that leaves
// the medium, or err.
func (m *media) cannotOpen(r mediaRoot, p place, err error) error {
	if st, lerr := r.root.Lstat(p.rel); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a link that leads outside %s: not followed", m.show(p), r.path)
	}
	return fmt.Errorf("%s cannot be opened: %w", m.show(p), err)
}

// enter is the folder name in p.
func (m *media) enter(p place, name string) (place, error) {
	r, in, err := m.child(p, name)
	if err != nil {
		return p, err
	}
	st, err := r.root.Stat(in.rel)
	if err != nil {
		return p, m.cannotOpen(r, in, err)
	}
	if !st.IsDir() {
		return p, fmt.Errorf("%s is not a folder", m.show(in))
	}
	return in, nil
}

// up is the folder that holds p; it refuses at the top of a medium.
func (m *media) up(p place) (place, error) {
	r, err := m.rootOf(p)
	if err != nil {
		return p, err
	}
	if p.rel == "." {
		return p, fmt.Errorf("%s is the top of this medium: choose another medium in the list above", r.path)
	}
	return place{p.root, path.Dir(p.rel)}, nil
}

// read returns the file name in p, refusing one that is not a regular file
// or is larger than maxFileBytes before reading it.
func (m *media) read(p place, name string) ([]byte, error) {
	r, in, err := m.child(p, name)
	if err != nil {
		return nil, err
	}
	rel, shown := in.rel, m.show(in)
	// Stat before opening: opening a FIFO or a device node on a stick
	// could block or act on a device.
	st, err := r.root.Stat(rel)
	if err != nil {
		return nil, m.cannotOpen(r, in, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", shown)
	}
	f, err := r.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be opened: %w", shown, err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", shown)
	}
	tooLarge := fmt.Errorf("%s is larger than %d bytes: not a PSBT, wallet, share or QR image", shown, maxFileBytes)
	if st.Size() > maxFileBytes {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s cannot be read: %w", shown, err)
	}
	if len(data) > maxFileBytes {
		return nil, tooLarge
	}
	return data, nil
}

// mkdir makes the new folder name in p and returns it.
func (m *media) mkdir(p place, name string) (place, error) {
	r, in, err := m.child(p, name)
	if err != nil {
		return p, err
	}
	if err := r.root.Mkdir(in.rel, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return p, fmt.Errorf("%s exists already: choose another name, or open it from the list", m.show(in))
		}
		return p, fmt.Errorf("%s cannot be made: %w", m.show(in), err)
	}
	return in, nil
}

// dir is p as a path for the code that writes there by name: without any
// symbolic link, and checked to be on the medium still.
func (m *media) dir(p place) (string, error) {
	r, err := m.rootOf(p)
	if err != nil {
		return "", err
	}
	if st, err := r.root.Stat(p.rel); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s is not a folder on the medium any more: insert the medium and choose again", m.show(p))
	}
	real, err := filepath.EvalSymlinks(m.show(p))
	if err != nil {
		return "", fmt.Errorf("%s cannot be opened: %w", m.show(p), err)
	}
	if rel, err := filepath.Rel(r.path, real); err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("%s leads outside %s: not saved", m.show(p), r.path)
	}
	return real, nil
}

// mediaFile is a file the operator chose, read when its turn comes.
type mediaFile struct {
	name string // its path, for messages
	read func() ([]byte, error)
}

// browseMode is what a media dialog is for.
type browseMode int

const (
	openOne  browseMode = iota // one file: a share, a PSBT
	openMany                   // the frames of a transfer
	saveHere                   // a folder to save into, and a name
)

// mediaBrowser is the file dialog: the media's roots, the folder's
// entries with their full names, and the mode's buttons.
type mediaBrowser struct {
	a     *App
	mode  browseMode
	roots []string
	m     *media
	at    place
	sel   map[string]bool
	// listed is the folder's entries as last read.
	listed []mediaEntry

	where   *widget.Select
	here    *widget.Label
	rows    *fyne.Container
	scroll  *container.Scroll
	status  *widget.Label
	name    *widget.Entry // save: the file name, nil if the caller names the files
	newName *widget.Entry
	newRow  *fyne.Container
	upBtn   *widget.Button
	openSel *widget.Button
	openPNG *widget.Button
	d       dialog.Dialog

	opened func([]mediaFile)
	saved  func(dir, name string)
}

// mediaRoots is where the dialogs may go: the export folder first (where
// they open), then the configured media roots.
func (a *App) mediaRoots() []string {
	return append([]string{a.opt.ExportDir}, a.opt.MediaRoots...)
}

// newBrowser makes a dialog; fileName, when saving, is the file name
// proposed ("": the caller names the files).
func (a *App) newBrowser(title string, mode browseMode, fileName string) *mediaBrowser {
	b := &mediaBrowser{a: a, mode: mode, roots: a.mediaRoots(), at: place{0, "."}, sel: map[string]bool{}}
	b.where = widget.NewSelect(nil, func(string) {
		if i := b.where.SelectedIndex(); i >= 0 && i != b.at.root {
			b.go2(place{i, "."})
		}
	})
	b.here = wrapped("")
	b.here.TextStyle.Monospace = true
	b.rows = container.NewVBox()
	b.scroll = container.NewVScroll(b.rows)
	b.status = wrapped("")
	b.upBtn = widget.NewButtonWithIcon("Up", theme.MoveUpIcon(), func() {
		p, err := b.m.up(b.at)
		if err != nil {
			b.status.SetText(err.Error())
			return
		}
		b.go2(p)
	})
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), b.reopen)
	tools := container.NewHBox(b.upBtn, refresh)
	cancel := widget.NewButton("Cancel", b.close)
	var bottom fyne.CanvasObject
	switch mode {
	case saveHere:
		b.newName = widget.NewEntry()
		b.newName.SetPlaceHolder("name of the new folder")
		b.newName.OnSubmitted = func(string) { b.makeFolder() }
		b.newRow = container.NewBorder(nil, nil, nil, widget.NewButton("Create folder", b.makeFolder), b.newName)
		b.newRow.Hide()
		tools.Add(widget.NewButtonWithIcon("New folder…", theme.FolderNewIcon(), func() {
			b.newRow.Show()
			b.a.w.Canvas().Focus(b.newName)
		}))
		save := primaryButton("Save", b.save)
		row := container.NewHBox(cancel, save)
		if fileName != "" {
			b.name = widget.NewEntry()
			b.name.SetText(fileName)
			bottom = container.NewVBox(widget.NewForm(widget.NewFormItem("File name", b.name)), row)
		} else {
			bottom = row
		}
	case openMany:
		b.openPNG = widget.NewButton("", b.openAllPNGs)
		b.openSel = primaryButton("", b.openSelected)
		bottom = container.NewHBox(cancel, b.openPNG, b.openSel)
	default:
		b.openSel = primaryButton("Open", b.openSelected)
		bottom = container.NewHBox(cancel, b.openSel)
	}
	top := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Medium"), nil, b.where),
		b.here, tools)
	if b.newRow != nil {
		top.Add(b.newRow)
	}
	body := container.NewBorder(top, container.NewVBox(b.status, widget.NewSeparator(), bottom), nil, nil, b.scroll)
	b.d = dialog.NewCustomWithoutButtons(title, body, a.w)
	return b
}

// show opens the media and the dialog, at the export folder. While it is
// up, Esc closes it (and does not press the screen's Back behind it).
func (b *mediaBrowser) show() {
	b.a.onLeave(b.close)
	c := b.a.w.Canvas()
	keys := c.OnTypedKey()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			b.close()
		}
	})
	b.d.SetOnClosed(func() { c.SetOnTypedKey(keys) })
	b.reopen()
	b.d.Resize(c.Size())
	b.d.Show()
}

// reopen opens the roots again (a stick plugged in since appears) and
// goes back to the folder shown, or the top of the first medium.
func (b *mediaBrowser) reopen() {
	at := b.at
	if b.m != nil {
		b.m.close()
	}
	b.m = openMedia(b.roots)
	var names []string
	for _, r := range b.m.roots {
		names = append(names, r.path)
	}
	b.where.SetOptions(names)
	if len(b.m.roots) == 0 {
		b.listed = nil
		b.rows.RemoveAll()
		b.here.SetText("")
		b.status.SetText("No removable medium is mounted (looked in " + strings.Join(slices.DeleteFunc(slices.Clone(b.roots), func(s string) bool { return s == "" }), ", ") + "): insert the USB stick and press Refresh.")
		b.buttons()
		return
	}
	if _, err := b.m.rootOf(at); err != nil {
		at = place{0, "."}
	}
	b.go2(at)
}

// go2 shows the folder p.
func (b *mediaBrowser) go2(p place) {
	entries, more, err := b.m.list(p)
	if err != nil {
		b.status.SetText(err.Error())
		return
	}
	b.at, b.listed = p, entries
	clear(b.sel)
	b.where.SetSelectedIndex(p.root)
	b.here.SetText(b.m.show(p))
	b.status.SetText("")
	if more {
		b.status.SetText(fmt.Sprintf("This folder has more than %d entries; only the first %d are shown.", maxListed, maxListed))
	}
	b.drawRows()
	b.scroll.ScrollToTop()
}

func (b *mediaBrowser) drawRows() {
	b.rows.RemoveAll()
	if len(b.listed) == 0 {
		b.rows.Add(widget.NewLabel("(empty folder)"))
	}
	for _, e := range b.listed {
		b.rows.Add(newMediaRow(e, b.sel[e.name], func() { b.tapped(e) }))
	}
	b.rows.Refresh()
	b.buttons()
}

// tapped enters a folder, or selects a file to open.
func (b *mediaBrowser) tapped(e mediaEntry) {
	switch {
	case e.refused != "":
		b.status.SetText(e.name + ": " + e.refused)
	case e.dir:
		p, err := b.m.enter(b.at, e.name)
		if err != nil {
			b.status.SetText(err.Error())
			return
		}
		b.go2(p)
	case b.mode == saveHere:
		b.status.SetText(e.name + " is a file; files are saved into the folder shown")
	default:
		if b.mode == openOne {
			on := !b.sel[e.name]
			clear(b.sel)
			b.sel[e.name] = on
		} else {
			b.sel[e.name] = !b.sel[e.name]
		}
		b.drawRows()
	}
}

// pngs is the folder's PNG files.
func (b *mediaBrowser) pngs() []string {
	var out []string
	for _, e := range b.listed {
		if !e.dir && e.refused == "" && strings.EqualFold(filepath.Ext(e.name), ".png") {
			out = append(out, e.name)
		}
	}
	return out
}

// selected is the files selected, in the folder's order.
func (b *mediaBrowser) selected() []string {
	var out []string
	for _, e := range b.listed {
		if b.sel[e.name] {
			out = append(out, e.name)
		}
	}
	return out
}

// buttons enables what can be done with the folder and selection shown.
func (b *mediaBrowser) buttons() {
	if b.mode == openOne || b.mode == openMany {
		n := len(b.selected())
		if b.mode == openMany {
			b.openSel.SetText(fmt.Sprintf("Open selected (%d)", n))
			np := len(b.pngs())
			b.openPNG.SetText(fmt.Sprintf("Open all PNGs in this folder (%d)", np))
			enable(b.openPNG, np > 0)
		}
		enable(b.openSel, n > 0)
	}
	enable(b.upBtn, len(b.m.roots) > 0 && b.at.rel != ".")
}

func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

func (b *mediaBrowser) openSelected() { b.open(b.selected()) }
func (b *mediaBrowser) openAllPNGs()  { b.open(b.pngs()) }

// open hands the files to the caller, which reads them in turn; the media
// stay open until it returns.
func (b *mediaBrowser) open(names []string) {
	if len(names) > maxOpenFiles {
		b.status.SetText(fmt.Sprintf("%d files chosen; open at most %d at once", len(names), maxOpenFiles))
		return
	}
	m, at := b.m, b.at
	files := make([]mediaFile, len(names))
	for i, n := range names {
		files[i] = mediaFile{name: m.show(place{at.root, path.Join(at.rel, n)}), read: func() ([]byte, error) { return m.read(at, n) }}
	}
	b.d.Hide()
	defer b.close()
	b.opened(files)
}

func (b *mediaBrowser) makeFolder() {
	p, err := b.m.mkdir(b.at, strings.TrimSpace(b.newName.Text))
	if err != nil {
		b.status.SetText(err.Error())
		return
	}
	b.newName.SetText("")
	b.newRow.Hide()
	b.go2(p)
	b.status.SetText("New folder made; it is where the files will be saved.")
}

func (b *mediaBrowser) save() {
	dir, err := b.m.dir(b.at)
	if err != nil {
		b.status.SetText(err.Error())
		return
	}
	var name string
	if b.name != nil {
		name = strings.TrimSpace(b.name.Text)
		if err := checkName(name); err != nil {
			b.status.SetText("file name: " + err.Error())
			return
		}
	}
	b.close()
	b.saved(dir, name)
}

// close hides the dialog and closes the media; it may be called again.
func (b *mediaBrowser) close() {
	b.d.Hide()
	if b.m != nil {
		b.m.close()
	}
}

// mediaRow is one entry of a folder, its whole name wrapped over as many
// lines as it takes: frame files differ only at the end of long names.
type mediaRow struct {
	widget.BaseWidget
	icon   *widget.Icon
	name   *widget.Label
	detail *widget.Label
	tap    func()
}

func newMediaRow(e mediaEntry, selected bool, tap func()) *mediaRow {
	r := &mediaRow{name: widget.NewLabel(e.name), detail: widget.NewLabel(""), tap: tap}
	r.name.Wrapping = fyne.TextWrapBreak
	icon := theme.FileIcon()
	switch {
	case e.refused != "":
		icon = theme.ErrorIcon()
		r.detail.SetText(e.refused)
		r.detail.Importance = widget.DangerImportance
	case e.dir:
		icon = theme.FolderIcon()
		r.detail.SetText("folder")
	case selected:
		icon = theme.CheckButtonCheckedIcon()
		r.name.TextStyle.Bold = true
		r.detail.SetText(sizeText(e.size))
	default:
		r.detail.SetText(sizeText(e.size))
	}
	r.icon = widget.NewIcon(icon)
	r.ExtendBaseWidget(r)
	return r
}

func (r *mediaRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, r.icon, r.detail, r.name))
}

// Tapped enters the folder or selects the file.
func (r *mediaRow) Tapped(*fyne.PointEvent) { r.tap() }

func sizeText(n int64) string {
	switch {
	case n < 10_000:
		return fmt.Sprintf("%d bytes", n)
	case n < 10_000_000:
		return fmt.Sprintf("%d kB", n/1000)
	}
	return fmt.Sprintf("%d MB", n/1_000_000)
}

// openFile lets the operator pick one file on the media and hands its
// contents to got.
func (a *App) openFile(got func(name string, data []byte)) {
	b := a.newBrowser("Open a file from removable media", openOne, "")
	b.opened = func(files []mediaFile) {
		data, err := files[0].read()
		if err != nil {
			a.showError(err)
			return
		}
		got(files[0].name, data)
	}
	b.show()
}

// openFiles lets the operator pick files on the media (the PNG frames of a
// transfer, or a GIF) and hands them to got, to be read in turn.
func (a *App) openFiles(got func([]mediaFile)) {
	b := a.newBrowser("Open files from removable media", openMany, "")
	b.opened = got
	b.show()
}

// saveTo lets the operator choose (or make) a folder on the media, and a
// file name if name proposes one, and hands them to got.
func (a *App) saveTo(title, name string, got func(dir, name string)) {
	b := a.newBrowser(title, saveHere, name)
	b.saved = got
	b.show()
}

// chooseFolder lets the operator choose (or make) a folder on the media
// to save into.
func (a *App) chooseFolder(got func(dir string)) {
	a.saveTo("Save to removable media", "", func(dir, _ string) { got(dir) })
}
