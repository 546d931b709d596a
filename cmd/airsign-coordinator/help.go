package main

import (
	"strings"
)

// commandUsage is the usage text's entries for the command args name
// ("withdraw", "wallet add"): with a subcommand among the arguments, that
// subcommand's, else every entry of the command. It is "" for a command
// the usage does not list.
func commandUsage(args []string) string {
	entries := usageEntries()
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if got := matchEntries(entries, args[0]+" "+a); got != "" {
			return got
		}
	}
	return matchEntries(entries, args[0])
}

// usageEntries splits the usage's Commands section into entries: a line
// indented four spaces and the deeper indented lines that follow it.
func usageEntries() []string {
	_, section, _ := strings.Cut(usage, "\nCommands:\n")
	section, _, _ = strings.Cut(section, "\n\n")
	var entries []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     ") || len(entries) == 0 {
			entries = append(entries, line+"\n")
			continue
		}
		entries[len(entries)-1] += line + "\n"
	}
	return entries
}

// matchEntries are the entries with a synopsis (one of the alternatives
// "a | b" of its first line) that starts with the words of cmd.
func matchEntries(entries []string, cmd string) string {
	var b strings.Builder
	for _, e := range entries {
		first, _, _ := strings.Cut(e, "\n")
		for _, alt := range strings.Split(strings.TrimSpace(first), " | ") {
			if alt == cmd || strings.HasPrefix(alt, cmd+" ") {
				b.WriteString(e)
				break
			}
		}
	}
	return b.String()
}
