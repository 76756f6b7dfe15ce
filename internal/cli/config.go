package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// A config file holds named profiles of validate's and plan's settings, so
// that a scheduled job's command line is a profile's name, not a dozen
// flags. layer fills in each flag not given from the environment, then the
// profile; the defaults are the rest.

// source is where a setting's value came from, in order of precedence.
type source int

const (
	fromDefault source = iota
	fromFlag
	fromEnv
	fromProfile
)

func (s source) String() string {
	return [...]string{"default", "flag", "env", "profile"}[s]
}

// envVars are the environment variables that stand for a flag not given.
// AZOTTE_API_KEY is the key itself, which --api-key-file would name: it
// beats a profile's api-key-file, and conn.resolve reads it.
var envVars = map[string]string{
	"base-url":     "AZOTTE_BASE_URL",
	"tenant":       "AZOTTE_TENANT",
	"api-key-file": "AZOTTE_API_KEY",
	"memory-limit": "AZVALIDATE_MEMORY_LIMIT",
}

// addConfigFlags registers --config and --profile on fs.
func addConfigFlags(fs *flagSet) {
	fs.StringVar(new(string), "config", "", "config `FILE` of profiles (default: $AZVALIDATE_CONFIG, else $XDG_CONFIG_HOME/azvalidate/config.yaml)")
	fs.StringVar(new(string), "profile", "", "the config file's profile `NAME` to take settings from (default: $AZVALIDATE_PROFILE, else the file's default:)")
}

// configFile is a config file as read: its profiles, by name.
type configFile struct {
	path, how   string // how it was found: --config, $AZVALIDATE_CONFIG or the default place
	defaultName string
	profiles    map[string]*yaml.Node // each a mapping of setting to value
	names       []string              // the profiles, in the file's order
}

// findConfig reads the config file of --config, $AZVALIDATE_CONFIG or the
// default place; nil (and no error) when none is named and the default
// place holds none.
func findConfig(fs *pflag.FlagSet, env Env) (*configFile, error) {
	path, how := "", ""
	if f := fs.Lookup("config"); f != nil && f.Changed {
		path, how = f.Value.String(), "--config"
	} else if p := env.getenv("AZVALIDATE_CONFIG"); p != "" {
		path, how = p, "$AZVALIDATE_CONFIG"
	}
	if path == "" {
		path, how = defaultConfigPath(env), "default"
		if _, err := os.Stat(path); path == "" || errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("config file (%s): %v", how, err)
	}
	cf := &configFile{path: path, how: how, profiles: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, usageError("%s: %v", path, err)
	}
	if len(doc.Content) == 0 {
		return cf, nil // empty: no profiles
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, cf.errorf(top, "want default: and profiles:, not a %s", kindName(top))
	}
	for i := 0; i < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "default":
			cf.defaultName = v.Value
		case "profiles":
			if v.Kind != yaml.MappingNode {
				return nil, cf.errorf(v, "profiles: want a mapping of names to settings, not a %s", kindName(v))
			}
			for j := 0; j < len(v.Content); j += 2 {
				name, settings := v.Content[j], v.Content[j+1]
				if settings.Kind != yaml.MappingNode {
					return nil, cf.errorf(settings, "profile %q: want a mapping of settings, not a %s", name.Value, kindName(settings))
				}
				cf.profiles[name.Value] = settings
				cf.names = append(cf.names, name.Value)
			}
		default:
			return nil, cf.errorf(k, "unknown key %q%s (want default or profiles)", k.Value, suggest(k.Value, []string{"default", "profiles"}))
		}
	}
	if cf.defaultName != "" && cf.profiles[cf.defaultName] == nil {
		return nil, cf.errorf(top, "default: no profile %q (profiles: %s)", cf.defaultName, strings.Join(cf.names, ", "))
	}
	return cf, nil
}

// defaultConfigPath is $XDG_CONFIG_HOME/azvalidate/config.yaml, with
// ~/.config when XDG_CONFIG_HOME is unset; "" without either.
func defaultConfigPath(env Env) string {
	dir := env.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if home := env.getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "azvalidate", "config.yaml")
}

// errorf is a usage error at node n of the file: FILE:LINE: message.
func (cf *configFile) errorf(n *yaml.Node, format string, args ...any) error {
	return usageError("%s:%d: %s", cf.path, n.Line, fmt.Sprintf(format, args...))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "single value"
}

// suggest is "; did you mean X?" for the candidate nearest typed, or "".
func suggest(typed string, candidates []string) string {
	if near := closest(typed, candidates); near != "" {
		return fmt.Sprintf("; did you mean %q?", near)
	}
	return ""
}

// profile is the outcome of layer: the profile used (if any) and where
// each setting came from.
type profile struct {
	name, file string // "" when none
	src        map[string]source
}

// given is the settings given on the command line or by the profile, which
// checks treat as asked for (an environment variable is a default).
func (p profile) given() map[string]bool {
	set := map[string]bool{}
	for name, s := range p.src {
		set[name] = s == fromFlag || s == fromProfile
	}
	return set
}

// layer fills in fs's flags not given on the command line: from the
// environment (envVars), then from the profile chosen by --profile,
// $AZVALIDATE_PROFILE or the file's default. A profile's unknown setting,
// a value of the wrong type and the key itself are refused, naming the
// file and line, before any work.
func layer(fs *flagSet, env Env) (profile, error) {
	p := profile{src: map[string]source{}}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			p.src[f.Name] = fromFlag
		}
	})
	for name, v := range envVars {
		if fs.Lookup(name) == nil || p.src[name] != fromDefault || env.getenv(v) == "" {
			continue
		}
		p.src[name] = fromEnv
		if v == "AZOTTE_API_KEY" {
			continue // the key, not a file's name: conn.resolve reads it
		}
		if err := fs.Set(name, env.getenv(v)); err != nil {
			return p, usageError("%s: %v", v, errors.Unwrap(err))
		}
	}
	cf, err := findConfig(fs.FlagSet, env)
	if err != nil {
		return p, err
	}
	name, settings, err := choose(fs.FlagSet, cf, env)
	if err != nil || settings == nil {
		return p, err
	}
	p.name, p.file = name, cf.path
	known := settingNames()
	for i := 0; i < len(settings.Content); i += 2 {
		k, v := settings.Content[i], settings.Content[i+1]
		key := k.Value
		switch {
		case key == "api-key" || key == "apikey" || key == "key":
			// The value is never shown: it may well be the key.
			return p, cf.errorf(k, "%q: a profile never holds the API key (a config file is read by many and copied about); put the key in a file readable only by you and name it with api-key-file", key)
		case !slices.Contains(known, key):
			hint := suggest(key, known)
			if len(key) == 1 && fs.ShorthandLookup(key) != nil {
				hint = fmt.Sprintf("; did you mean %q?", fs.ShorthandLookup(key).Name)
			}
			return p, cf.errorf(k, "unknown setting %q%s", key, hint)
		case fs.Lookup(key) == nil || p.src[key] != fromDefault:
			continue // another command's setting, or given by a flag or the environment
		}
		values, err := scalars(v)
		if err != nil {
			return p, cf.errorf(v, "%s: %v", key, err)
		}
		f := fs.Lookup(key)
		for _, value := range values {
			if isPath(f) && value != "-" && value != "" && !filepath.IsAbs(value) {
				value = filepath.Join(filepath.Dir(cf.path), value)
			}
			if err := fs.Set(key, value); err != nil {
				return p, cf.errorf(v, "%s", strings.TrimPrefix(explain(fs.FlagSet, err), "--"))
			}
		}
		p.src[key] = fromProfile
	}
	return p, nil
}

// choose picks the profile of --profile, $AZVALIDATE_PROFILE or the file's
// default; none (nil) without any, or with an empty name.
func choose(fs *pflag.FlagSet, cf *configFile, env Env) (string, *yaml.Node, error) {
	name, how := "", ""
	if f := fs.Lookup("profile"); f != nil && f.Changed {
		name, how = f.Value.String(), "--profile"
	} else if v := env.getenv("AZVALIDATE_PROFILE"); v != "" {
		name, how = v, "$AZVALIDATE_PROFILE"
	}
	switch {
	case cf == nil && name != "":
		return "", nil, usageError("%s %s: no config file (give --config FILE, set $AZVALIDATE_CONFIG, or write %s)", how, name, defaultPlace)
	case cf == nil:
		return "", nil, nil
	case how == "":
		name, how = cf.defaultName, "default"
	}
	if name == "" {
		return "", nil, nil // --profile "": none
	}
	settings := cf.profiles[name]
	if settings == nil {
		return "", nil, usageError("%s %s: no profile %q in %s (profiles: %s)%s", how, name, name, cf.path, strings.Join(cf.names, ", "), suggest(name, cf.names))
	}
	return name, settings, nil
}

const defaultPlace = "$XDG_CONFIG_HOME/azvalidate/config.yaml"

// scalars are the values of a setting: one, or a list's (for a flag that
// may be repeated, such as report, each is given in turn; for a comma list,
// such as only, they are joined).
func scalars(v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, fmt.Errorf("no value")
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		var out []string
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("want a list of values, not of a %s", kindName(e))
			}
			out = append(out, e.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a value, not a %s", kindName(v))
}

// isPath says whether f names a file or folder, which a profile gives
// relative to its config file.
func isPath(f *pflag.Flag) bool {
	name, _ := pflag.UnquoteUsage(f)
	return name == "FILE" || name == "DIR"
}

// settingNames are the settings a profile may hold: validate's and plan's
// flags, but not those that choose the profile.
func settingNames() []string {
	var names []string
	for _, cmd := range []string{"validate", "plan"} {
		c, _, _ := newRoot(Env{}).Find([]string{cmd})
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "config" && f.Name != "profile" && f.Name != "help" && !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		})
	}
	return names
}

const configSynopsis = `
Shows the settings a run would use and where each comes from. A config file
holds named profiles of validate's and plan's settings, each by its flag's
long name; it is --config FILE, else $AZVALIDATE_CONFIG, else
$XDG_CONFIG_HOME/azvalidate/config.yaml (~/.config/... when unset).
--profile NAME, else $AZVALIDATE_PROFILE, else the file's default: chooses
the profile. A flag beats the environment (AZOTTE_BASE_URL, AZOTTE_TENANT,
AZOTTE_API_KEY, AZVALIDATE_MEMORY_LIMIT), which beats the profile, which
beats the defaults. Paths in a profile are relative to the file's folder. A
profile never holds the API key: name a file holding it with api-key-file.

  show      the settings not at their default, each with its source
            (flag, env, profile); --all lists every one; the key redacted
  path      the config file a run would read, and how it was found
  profiles  the file's profiles, the default marked`

const configExamples = `  # what the nightly job runs with, and why
  azvalidate config show --profile acme-nightly

  # the same with a flag that would win over the profile
  azvalidate config show --profile acme-nightly --rate 2

  # the file itself:
  #   default: acme-nightly
  #   profiles:
  #     acme-nightly:
  #       base-url: https://acme.azotte.com
  #       tenant: e2a1c7b2-4f3a-4b8e-9c2d-1a2b3c4d5e6f
  #       api-key-file: acme.key     # relative to the file; never the key itself
  #       rate: 5
  #       state: /data/acme.state
  #       deadline: 6h
`

// addConfig adds the config command and its subcommands to root.
func addConfig(root *cobra.Command, env Env) {
	cmd := &cobra.Command{
		Use:     "config show|path|profiles [flags]",
		Short:   "show the settings a run would use, from flags, environment and profiles",
		Long:    configSynopsis,
		Example: configExamples,
	}
	subcommands(root, cmd)

	show := &cobra.Command{Use: "show [flags]", Short: "the settings of a validate run and where each came from",
		Long: "Lists the settings a validate run with these flags would use, each with its source: flag, env,\nprofile (or default, with --all). The API key is never shown.", Args: cobra.NoArgs}
	cmd.AddCommand(show)
	fs := flagsOf(show)
	var all bool
	addValidateFlags(fs, &validateConfig{})
	fs.BoolVar(&all, "all", false, "also list the settings at their defaults")
	show.RunE = func(cmd *cobra.Command, _ []string) error { return configShow(fs, env, all, cmd.OutOrStdout()) }

	path := &cobra.Command{Use: "path [flags]", Short: "the config file a run would read", Args: cobra.NoArgs,
		Long: "Prints the config file a run would read (--config, $AZVALIDATE_CONFIG, else the default place,\nwhich need not exist) and how it was found."}
	cmd.AddCommand(path)
	pathFlags := flagsOf(path)
	addConfigFlags(pathFlags)
	path.RunE = func(cmd *cobra.Command, _ []string) error {
		cf, err := findConfig(pathFlags.FlagSet, env)
		switch {
		case err != nil:
			return err
		case cf == nil && defaultConfigPath(env) == "":
			return usageError("no config file: neither $AZVALIDATE_CONFIG, $XDG_CONFIG_HOME nor $HOME is set")
		case cf == nil:
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\t(default place; no such file)\n", defaultConfigPath(env))
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\t(%s)\n", cf.path, cf.how)
		return err
	}

	profiles := &cobra.Command{Use: "profiles [flags]", Short: "the config file's profiles", Args: cobra.NoArgs,
		Long: "Prints the names of the config file's profiles, one a line, the default marked."}
	cmd.AddCommand(profiles)
	profFlags := flagsOf(profiles)
	addConfigFlags(profFlags)
	profiles.RunE = func(cmd *cobra.Command, _ []string) error {
		cf, err := findConfig(profFlags.FlagSet, env)
		if err != nil || cf == nil {
			return err
		}
		for _, name := range cf.names {
			if name == cf.defaultName {
				name += "\t(default)"
			}
			fmt.Fprintln(cmd.OutOrStdout(), name)
		}
		return nil
	}
	for _, c := range []*cobra.Command{show, path, profiles} {
		completeValues(c, env)
	}
}

// configShow writes the settings of a validate run with fs's flags, each
// with its source; the key never.
func configShow(fs *flagSet, env Env, all bool, w io.Writer) error {
	p, err := layer(fs, env)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	file, prof := "none", "none"
	if p.file != "" {
		file, prof = p.file, p.name
	}
	fmt.Fprintf(tw, "config file\t%s\n", file)
	fmt.Fprintf(tw, "profile\t%s\n\n", prof)
	fmt.Fprintf(tw, "setting\tvalue\tsource\n")
	defaults := 0
	fs.VisitAll(func(f *pflag.Flag) {
		src := p.src[f.Name]
		switch {
		case f.Name == "help" || f.Name == "all" || f.Name == "config" || f.Name == "profile":
			return
		case f.Name == "api-key-file" && src == fromEnv:
			fmt.Fprintf(tw, "api-key\t[redacted]\tenv AZOTTE_API_KEY\n")
			return
		case src == fromDefault && !all:
			defaults++
			return
		}
		where := src.String()
		if src == fromEnv {
			where += " " + envVars[f.Name]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Value.String(), where)
	})
	if defaults > 0 {
		fmt.Fprintf(tw, "\n%d more settings at their defaults (config show --all lists them)\n", defaults)
	}
	return tw.Flush()
}
