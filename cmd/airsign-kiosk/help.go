package main

import (
	"regexp"
	"strings"
)

// commandUsage is the usage text's lines for the command args name ("sign",
// "approver approve"): its synopses and the paragraph that explains it.
// With a subcommand among the arguments, only that subcommand's synopsis.
// It is "" for a command the usage does not list.
func commandUsage(args []string) string {
	synopses := usageSynopses()
	words := args[0]
	got := matchSynopses(synopses, words)
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if sub := matchSynopses(synopses, args[0]+" "+a); sub != "" {
			words, got = args[0]+" "+a, sub
			break
		}
	}
	if got == "" {
		return ""
	}
	return "Usage:\n" + got + usageParagraphs(args[0], words)
}

// usageSynopses are the usage's "    airsign-kiosk ..." lines, each with
// the deeper indented lines that continue it.
func usageSynopses() []string {
	text, _, _ := strings.Cut(usage, "\n\n")
	var out []string
	for _, line := range strings.Split(text, "\n")[1:] {
		if strings.HasPrefix(line, "    airsign-kiosk ") || len(out) == 0 {
			out = append(out, line+"\n")
			continue
		}
		out[len(out)-1] += line + "\n"
	}
	return out
}

var lowerWord = regexp.MustCompile(`^\[?[a-z][a-z-]*\]?$`)

// synopsisCommands are the commands a synopsis shows, one for each of its
// alternatives ("approvers list | approvers add NAME ..."): the words after
// the program's name and its global options ("[--home DIR]",
// "--passphrase-file FILE|-", approver's "[--station DIR]"), up to the
// first argument or flag of the command.
func synopsisCommands(synopsis string) []string {
	var cmds []string
	text := strings.Join(strings.Fields(synopsis), " ")
	for n, alt := range strings.Split(strings.TrimPrefix(text, "airsign-kiosk "), " | ") {
		var words []string
		depth := 0
		fields := strings.Fields(alt)
		if n > 0 && (len(fields) == 0 || !lowerWord.MatchString(fields[0])) {
			continue // an alternative among a command's arguments
		}
	scan:
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			switch {
			case depth == 0 && lowerWord.MatchString(f) && (f[0] != '[' || f[len(f)-1] == ']'):
				words = append(words, strings.Trim(f, "[]"))
				continue
			case depth > 0 || strings.HasPrefix(f, "["):
				depth += strings.Count(f, "[") - strings.Count(f, "]")
				continue
			case len(words) == 0 && strings.HasPrefix(f, "--"):
				i++ // a global option and its value
				continue
			}
			break scan
		}
		cmds = append(cmds, strings.Join(words, " "))
	}
	return cmds
}

// matchSynopses are the synopses with a command that starts with words.
func matchSynopses(synopses []string, words string) string {
	var b strings.Builder
	for _, s := range synopses {
		for _, cmd := range synopsisCommands(s) {
			if cmd == words || strings.HasPrefix(cmd, words+" ") {
				b.WriteString(s)
				break
			}
		}
	}
	return b.String()
}

// usageParagraphs are the usage's explanations of cmd or of words (its
// subcommand): a line that starts with the name and the lines indented
// under it.
func usageParagraphs(cmd, words string) string {
	_, text, _ := strings.Cut(usage, "\n\n")
	var b strings.Builder
	in := false
	for _, line := range strings.Split(text, "\n") {
		if line != "" && line[0] != ' ' {
			name, _, _ := strings.Cut(line, "  ")
			// "shares verify health check: ..." has one space.
			in = name == cmd || name == words || words != cmd && strings.HasPrefix(line, words+" ")
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "\n" + b.String()
}
