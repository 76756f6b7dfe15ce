// Package profile reads azvalidate's config file, named profiles of the
// command line's settings, and fills in a command's flags not given: from
// the environment, then from the chosen profile, recording where each
// value came from. A setting the file gets wrong is refused with its file
// and line, before any work.
package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/azotte/azvalidate/internal/suggest"
)

// Source is where a setting's value came from, in order of precedence.
type Source int

const (
	Default Source = iota
	Flag
	Env
	Profile
)

func (s Source) String() string {
	return [...]string{"default", "flag", "env", "profile"}[s]
}

// File is a config file as read.
type File struct {
	Path, How string   // how it was found: --config, $AZVALIDATE_CONFIG or default
	Default   string   // the profile used when none is named
	Names     []string // the profiles, in the file's order
	profiles  map[string]*yaml.Node
}

// DefaultPlace is where a config file is found when none is named.
const DefaultPlace = "$XDG_CONFIG_HOME/azvalidate/config.yaml"

// Find reads the config file of fs's --config, else $AZVALIDATE_CONFIG,
// else the default place; nil (and no error) when none is named and the
// default place holds none.
func Find(fs *pflag.FlagSet, getenv func(string) string) (*File, error) {
	path, how := "", ""
	if f := fs.Lookup("config"); f != nil && f.Changed {
		path, how = f.Value.String(), "--config"
	} else if p := getenv("AZVALIDATE_CONFIG"); p != "" {
		path, how = p, "$AZVALIDATE_CONFIG"
	}
	if path == "" {
		path, how = DefaultPath(getenv), "default"
		if _, err := os.Stat(path); path == "" || errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file (%s): %w", how, err)
	}
	cf := &File{Path: path, How: how, profiles: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
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
			cf.Default = v.Value
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
				cf.Names = append(cf.Names, name.Value)
			}
		default:
			return nil, cf.errorf(k, "unknown key %q%s (want default or profiles)", k.Value, meant(k.Value, []string{"default", "profiles"}))
		}
	}
	if cf.Default != "" && cf.profiles[cf.Default] == nil {
		return nil, cf.errorf(top, "default: no profile %q (profiles: %s)", cf.Default, strings.Join(cf.Names, ", "))
	}
	return cf, nil
}

// DefaultPath is $XDG_CONFIG_HOME/azvalidate/config.yaml, with ~/.config
// when XDG_CONFIG_HOME is unset; "" without either.
func DefaultPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if home := getenv("HOME"); dir == "" && home != "" {
		dir = filepath.Join(home, ".config")
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "azvalidate", "config.yaml")
}

// errorf is an error at node n of the file: FILE:LINE: message.
func (cf *File) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", cf.Path, n.Line, fmt.Sprintf(format, args...))
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

// meant is "; did you mean X?" for the candidate nearest typed, or "".
func meant(typed string, candidates []string) string {
	if near := suggest.Closest(typed, candidates); near != "" {
		return fmt.Sprintf("; did you mean %q?", near)
	}
	return ""
}

// Config says how Apply fills in a command's flags.
type Config struct {
	Getenv  func(string) string
	EnvVars map[string]string  // the environment variable standing for a flag not given
	Secret  string             // one of EnvVars that is the key itself, not the flag's value: only noted
	Known   []string           // the settings a profile may hold (a command may take fewer)
	Explain func(error) string // a flag's Set error, as the user should read it
}

// Applied is what Apply did: the profile used ("" none), its file, and
// where each setting came from (absent: Default).
type Applied struct {
	Name, File string
	Src        map[string]Source
}

// Given is the settings given on the command line or by the profile,
// which a command's checks treat as asked for (the environment is a default).
func (a Applied) Given() map[string]bool {
	set := map[string]bool{}
	for name, s := range a.Src {
		set[name] = s == Flag || s == Profile
	}
	return set
}

// Apply fills in fs's flags not given on the command line from the
// environment, then from the profile chosen by --profile,
// $AZVALIDATE_PROFILE or the file's default. A profile's unknown setting,
// a value of the wrong type and the API key itself are refused. Paths (a
// flag whose value is a FILE or DIR) are relative to the file's folder.
func Apply(fs *pflag.FlagSet, c Config) (Applied, error) {
	a := Applied{Src: map[string]Source{}}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			a.Src[f.Name] = Flag
		}
	})
	for name, v := range c.EnvVars {
		if fs.Lookup(name) == nil || a.Src[name] != Default || c.Getenv(v) == "" {
			continue
		}
		a.Src[name] = Env
		if v == c.Secret {
			continue
		}
		if err := fs.Set(name, c.Getenv(v)); err != nil {
			return a, fmt.Errorf("%s: %w", v, errors.Unwrap(err))
		}
	}
	cf, err := Find(fs, c.Getenv)
	if err != nil {
		return a, err
	}
	name, settings, err := choose(fs, cf, c.Getenv)
	if err != nil || settings == nil {
		return a, err
	}
	a.Name, a.File = name, cf.Path
	for i := 0; i < len(settings.Content); i += 2 {
		k, v := settings.Content[i], settings.Content[i+1]
		key := k.Value
		switch {
		case key == "api-key" || key == "apikey" || key == "key":
			// The value is never shown: it may well be the key.
			return a, cf.errorf(k, "%q: a profile never holds the API key (a config file is read by many and copied about); put the key in a file readable only by you and name it with api-key-file", key)
		case !slices.Contains(c.Known, key):
			hint := meant(key, c.Known)
			if len(key) == 1 && fs.ShorthandLookup(key) != nil {
				hint = fmt.Sprintf("; did you mean %q?", fs.ShorthandLookup(key).Name)
			}
			return a, cf.errorf(k, "unknown setting %q%s", key, hint)
		case fs.Lookup(key) == nil || a.Src[key] != Default:
			continue // another command's setting, or given by a flag or the environment
		}
		values, err := scalars(v)
		if err != nil {
			return a, cf.errorf(v, "%s: %v", key, err)
		}
		if fs.Lookup(key).Value.Type() != "stringArray" {
			values = []string{strings.Join(values, ",")} // a comma list such as only
		}
		for _, value := range values {
			if name, _ := pflag.UnquoteUsage(fs.Lookup(key)); (name == "FILE" || name == "DIR") && value != "-" && value != "" && !filepath.IsAbs(value) {
				value = filepath.Join(filepath.Dir(cf.Path), value)
			}
			if err := fs.Set(key, value); err != nil {
				return a, cf.errorf(v, "%s", c.Explain(err))
			}
		}
		a.Src[key] = Profile
	}
	return a, nil
}

// choose picks the profile of --profile, $AZVALIDATE_PROFILE or the file's
// default; none (nil) without any, or with an empty name.
func choose(fs *pflag.FlagSet, cf *File, getenv func(string) string) (string, *yaml.Node, error) {
	name, how := "", ""
	if f := fs.Lookup("profile"); f != nil && f.Changed {
		name, how = f.Value.String(), "--profile"
	} else if v := getenv("AZVALIDATE_PROFILE"); v != "" {
		name, how = v, "$AZVALIDATE_PROFILE"
	}
	switch {
	case cf == nil && name != "":
		return "", nil, fmt.Errorf("%s %s: no config file (give --config FILE, set $AZVALIDATE_CONFIG, or write %s)", how, name, DefaultPlace)
	case cf == nil:
		return "", nil, nil
	case how == "":
		name, how = cf.Default, "default"
	}
	if name == "" {
		return "", nil, nil // --profile "": none
	}
	settings := cf.profiles[name]
	if settings == nil {
		return "", nil, fmt.Errorf("%s %s: no profile %q in %s (profiles: %s)%s", how, name, name, cf.Path, strings.Join(cf.Names, ", "), meant(name, cf.Names))
	}
	return name, settings, nil
}

// scalars are the values of a setting: one, or a list's (a flag that may
// be repeated, such as report, takes each in turn; any other, such as
// only, takes them as a comma list).
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
