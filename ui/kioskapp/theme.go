package kioskapp

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme is the station's fixed look: dark, with text and controls scaled
// up for an operator reading addresses at 3 a.m. It ignores FYNE_THEME and
// the desktop's dark-mode setting, so every station looks the same.
type Theme struct {
	// Scale multiplies every size (text, padding, icons, inputs).
	Scale float32
}

// NewTheme returns the station's theme scaled by scale (1.3 suits a
// 1280x800 screen).
func NewTheme(scale float32) fyne.Theme { return Theme{Scale: scale} }

// focusRing is the focused control's colour: a strong amber that stands
// out on the dark palette, so that an operator using the keyboard (Tab,
// Space) always sees which control has the focus. The default is a faint
// tint, hard to see on a kiosk screen. fyne blends it over a button's
// fill, so it is not opaque: the white label stays readable on it.
var focusRing = color.NRGBA{R: 0xff, G: 0xb3, B: 0x00, A: 0x99}

// Color is the default dark palette with a visible focus ring.
func (t Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameFocus {
		return focusRing
	}
	return theme.DefaultTheme().Color(n, theme.VariantDark)
}

// Font is the default font.
func (t Theme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

// Icon is the default icon.
func (t Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size scales the default sizes; text grows a little more than the rest.
func (t Theme) Size(n fyne.ThemeSizeName) float32 {
	s := theme.DefaultTheme().Size(n) * t.Scale
	switch n {
	case theme.SizeNameText:
		s *= 1.1
	case theme.SizeNameInputBorder:
		s *= 2 // the focused entry's border, in the primary colour
	}
	return s
}
