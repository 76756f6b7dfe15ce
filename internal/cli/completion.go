package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Shell completion: 'azvalidate completion bash|zsh|fish' prints a script
// that completes the commands, their flags and the flags' values. The flags
// are read from each command's own -h output, so a flag added to a command
// is completed without touching this file.

// compCommand is a command as completion scripts know it.
type compCommand struct {
	name, help string
	flags      []compFlag
	files      bool     // takes a file argument
	words      []string // its arguments are one of these words
}

// compFlag is one flag of a command.
type compFlag struct {
	name, short string // "output", "o"; short is "" for most flags
	value       string // the value's name in the help (FILE, URL, int, ...); "" for a switch
	help        string // the help's first sentence
}

// valueChoices are the values of flags that take one of a few words, from
// the tables that parse them.
var valueChoices = map[string][]string{
	"format":        names(input.Readable),
	"output-format": names(input.Writable),
	"log-format":    {"text", "json"},
	"only":          names(verdict.All),
	"faults":        append(sandbox.FaultNames(), "all"),
}

// names are the values' names.
func names[T fmt.Stringer](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v.String()
	}
	return out
}

var shells = []string{"bash", "zsh", "fish"}

const completionHelp = `Usage: azvalidate completion bash|zsh|fish

Prints a script that completes azvalidate's commands, flags and their values
in that shell. Each script's first lines say how to load it.

Examples:
  source <(azvalidate completion bash)
  azvalidate completion zsh > "${fpath[1]}/_azvalidate"
  azvalidate completion fish > ~/.config/fish/completions/azvalidate.fish
`

func runCompletion(args []string, stdout io.Writer) error {
	if len(args) == 1 && isHelpFlag(args[0]) {
		_, err := io.WriteString(stdout, completionHelp)
		return err
	}
	if len(args) != 1 {
		return withHelpHint(fmt.Errorf("completion takes one shell: azvalidate completion bash|zsh|fish"), "completion")
	}
	cmds, err := completionCommands()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch args[0] {
	case "bash":
		bashCompletion(&b, cmds)
	case "zsh":
		zshCompletion(&b, cmds)
	case "fish":
		fishCompletion(&b, cmds)
	default:
		err := fmt.Errorf("completion: unknown shell %q (want bash, zsh or fish)", args[0])
		return withHelpHint(err, "completion")
	}
	_, err = stdout.Write(b.Bytes())
	return err
}

// completionCommands lists the commands with the flags their help shows.
func completionCommands() ([]compCommand, error) {
	cmds := []compCommand{
		{name: "validate", help: "validate every row of an export", files: true},
		{name: "plan", help: "count rows, duplicates and API calls without calling", files: true},
		{name: "sandbox", help: "serve a local Azotte-compatible validate endpoint"},
		{name: "state", help: "inspect, compact or export a --state journal", words: []string{"info", "compact", "export"}},
		{name: "version", help: "print the version"},
		{name: "completion", help: "print a shell completion script", words: shells},
		{name: "help", help: "show the commands"},
	}
	// Each command's -h output; parsing -h returns before any work.
	helps := map[string]func(io.Writer){
		"validate": func(w io.Writer) { parseValidate([]string{"-h"}, Env{}, w) },
		"plan":     func(w io.Writer) { parsePlan([]string{"-h"}, Env{}, w) },
		"sandbox":  func(w io.Writer) { runSandbox(context.Background(), []string{"-h"}, w, io.Discard) },
	}
	for i, c := range cmds {
		help, ok := helps[c.name]
		if !ok {
			continue
		}
		var b bytes.Buffer
		help(&b)
		flags, err := helpFlags(b.String())
		if err != nil {
			return nil, fmt.Errorf("completion: %s: %w", c.name, err)
		}
		cmds[i].flags = flags
	}
	return cmds, nil
}

// flagLine is a flag's line in printFlags' output: "  -o, --output FILE".
var flagLine = regexp.MustCompile(`^  (?:-([a-zA-Z0-9]), )?--([a-z0-9][a-z0-9-]*)(?: ([A-Za-z0-9_.-]+))?$`)

// helpFlags reads the flags out of a command's -h output (see printFlags).
func helpFlags(help string) ([]compFlag, error) {
	_, list, ok := strings.Cut(help, "\nFlags:\n")
	if !ok {
		return nil, fmt.Errorf("no flags in the help")
	}
	list, _, _ = strings.Cut(list, "\nExamples:")
	var flags []compFlag
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		line := sc.Text()
		if m := flagLine.FindStringSubmatch(line); m != nil {
			flags = append(flags, compFlag{short: m[1], name: m[2], value: m[3]})
			continue
		}
		if u, ok := strings.CutPrefix(line, "      "); ok && len(flags) > 0 && flags[len(flags)-1].help == "" {
			flags[len(flags)-1].help = firstClause(u)
		}
	}
	if len(flags) == 0 {
		return nil, fmt.Errorf("no flags in the help")
	}
	return flags, nil
}

// firstClause shortens a flag's help for a completion menu: up to an
// aside, and about a line at most.
func firstClause(s string) string {
	for _, sep := range []string{" (", "; ", ", e.g."} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	const most = 72
	if i := strings.Index(s, ": "); len(s) > most && i > 0 {
		s = s[:i]
	}
	if len(s) > most {
		s = s[:strings.LastIndex(s[:most], " ")] + "…"
	}
	return strings.TrimSpace(s)
}

// valueKind says how to complete a flag's value: "file", "dir", "words" (in
// valueChoices) or "" (anything: nothing to offer).
func (f compFlag) valueKind() string {
	v := strings.ToUpper(f.value)
	switch {
	case valueChoices[f.name] != nil:
		return "words"
	case strings.Contains(v, "DIR"):
		return "dir"
	case strings.Contains(v, "FILE"):
		return "file"
	}
	return ""
}

func bashCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, `# bash completion for azvalidate.
# Load it in this shell:  source <(azvalidate completion bash)
# Or for good:            azvalidate completion bash > ~/.local/share/bash-completion/completions/azvalidate

_azvalidate() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    COMPREPLY=()
    # --flag=value: bash splits the word at the =.
    if [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W '`)
	for i, c := range cmds {
		if i > 0 {
			fmt.Fprint(w, " ")
		}
		fmt.Fprint(w, c.name)
	}
	fmt.Fprint(w, `' -- "$cur"))
        return
    fi
    case ${COMP_WORDS[1]} in
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "    %s)\n", c.name)
		if len(c.flags) > 0 {
			fmt.Fprint(w, "        case $prev in\n")
			var plain []string
			for _, f := range c.flags {
				if f.value == "" {
					continue
				}
				names := "--" + f.name
				if f.short != "" {
					names = "-" + f.short + "|" + names
				}
				switch f.valueKind() {
				case "words":
					fmt.Fprintf(w, "        %s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n", names, strings.Join(valueChoices[f.name], " "))
				case "dir":
					fmt.Fprintf(w, "        %s) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", names)
				case "file":
					fmt.Fprintf(w, "        %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", names)
				default:
					plain = append(plain, names)
				}
			}
			if len(plain) > 0 {
				fmt.Fprintf(w, "        %s) return ;; # a value to type\n", strings.Join(plain, "|"))
			}
			fmt.Fprint(w, "        esac\n")
			fmt.Fprint(w, "        if [[ $cur == -* ]]; then\n")
			fmt.Fprintf(w, "            COMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n", strings.Join(flagWords(c.flags), " "))
			if c.files {
				fmt.Fprint(w, "        else\n            COMPREPLY=($(compgen -f -- \"$cur\"))\n")
			}
			fmt.Fprint(w, "        fi\n")
		}
		if len(c.words) > 0 {
			fmt.Fprintf(w, "        [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n", strings.Join(c.words, " "))
		}
		fmt.Fprint(w, "        ;;\n")
	}
	fmt.Fprint(w, `    esac
}
complete -o filenames -F _azvalidate azvalidate
`)
}

// flagWords are a command's flags as typed: --name, and -x for aliases.
func flagWords(flags []compFlag) []string {
	var words []string
	for _, f := range flags {
		words = append(words, "--"+f.name)
		if f.short != "" {
			words = append(words, "-"+f.short)
		}
	}
	return words
}

func zshCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, `#compdef azvalidate
# zsh completion for azvalidate.
# Load it in this shell:  source <(azvalidate completion zsh)
# Or for good:            azvalidate completion zsh > "${fpath[1]}/_azvalidate"   (then: compinit)

_azvalidate() {
    local -a commands
    commands=(
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "        %s\n", zshQuote(c.name+":"+c.help))
	}
	fmt.Fprint(w, `    )
    if (( CURRENT == 2 )); then
        _describe -t commands 'azvalidate command' commands
        return
    fi
    local cmd=${words[2]}
    shift words
    (( CURRENT-- ))
    case $cmd in
`)
	for _, c := range cmds {
		var specs []string
		for _, f := range c.flags {
			desc := "[" + zshDesc(f.help) + "]"
			arg := ""
			if f.value != "" {
				msg := strings.ReplaceAll(zshDesc(f.value), ":", "")
				switch f.valueKind() {
				case "words":
					arg = ":" + msg + ":(" + strings.Join(valueChoices[f.name], " ") + ")"
				case "dir":
					arg = ":" + msg + ":_files -/"
				case "file":
					arg = ":" + msg + ":_files"
				default:
					arg = ":" + msg + ":"
				}
			}
			eq := ""
			if f.value != "" {
				eq = "="
			}
			specs = append(specs, zshQuote("--"+f.name+eq+desc+arg))
			if f.short != "" {
				plus := ""
				if f.value != "" {
					plus = "+"
				}
				specs = append(specs, zshQuote("-"+f.short+plus+"[same as --"+f.name+"]"+arg))
			}
		}
		switch {
		case c.files:
			specs = append(specs, zshQuote("*:input file:_files"))
		case len(c.words) > 0:
			specs = append(specs, zshQuote("1:shell:("+strings.Join(c.words, " ")+")"))
		}
		if len(specs) == 0 {
			fmt.Fprintf(w, "    %s) ;;\n", c.name)
			continue
		}
		fmt.Fprintf(w, "    %s)\n        _arguments -s \\\n            %s\n        ;;\n", c.name, strings.Join(specs, " \\\n            "))
	}
	fmt.Fprint(w, `    esac
}

if [[ $zsh_eval_context[-1] == loadautoload ]]; then
    _azvalidate "$@"
else
    compdef _azvalidate azvalidate
fi
`)
}

// zshDesc makes text safe inside an _arguments [description].
func zshDesc(s string) string {
	return strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`).Replace(s)
}

// zshQuote single-quotes s for zsh.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fishCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, `# fish completion for azvalidate.
# Load it in this shell:  azvalidate completion fish | source
# Or for good:            azvalidate completion fish > ~/.config/fish/completions/azvalidate.fish

complete -c azvalidate -f
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c azvalidate -n '__fish_use_subcommand' -a %s -d %s\n", c.name, fishQuote(c.help))
	}
	for _, c := range cmds {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			line := "complete -c azvalidate -n " + cond
			if f.short != "" {
				line += " -s " + f.short
			}
			line += " -l " + f.name
			if f.value != "" {
				switch f.valueKind() {
				case "words":
					line += " -x -a " + fishQuote(strings.Join(valueChoices[f.name], " "))
				case "dir":
					line += " -x -a '(__fish_complete_directories (commandline -ct))'"
				case "file":
					line += " -r -F"
				default:
					line += " -x"
				}
			}
			fmt.Fprintln(w, line+" -d "+fishQuote(f.help))
		}
		switch {
		case c.files:
			fmt.Fprintf(w, "complete -c azvalidate -n %s -F\n", cond)
		case len(c.words) > 0:
			fmt.Fprintf(w, "complete -c azvalidate -n %s -a %s\n", cond, fishQuote(strings.Join(c.words, " ")))
		}
	}
}

// fishQuote single-quotes s for fish.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}
