// Command tiltfile-eval runs a Tiltfile in the Starlark interpreter that Tilt
// embeds (go.starlark.net), with Tilt's builtins replaced by recorders, and
// prints every call as JSON on stdout:
//
//	tiltfile-eval Tiltfile
//	{"calls":[{"fn":"docker_build","args":{"ref":"...","context":"."}}, ...]}
//
// Nothing is built or deployed. Each recorder accepts the parameter names of
// the Tilt builtin it stands for, so a misspelled function or keyword fails
// here the way it fails in `tilt up`. Only the builtins the Tiltfile uses are
// defined; any other name is an "undefined" error.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// call is one recorded builtin call, with arguments bound to parameter names.
type call struct {
	Fn   string         `json:"fn"`
	Args map[string]any `json:"args"`
}

// recorded is the value a recorder returns (sync(...), link(...), ...), so it
// can be stored in lists and passed to other builtins like Tilt's own objects.
type recorded struct{ call call }

func (r *recorded) String() string        { return fmt.Sprintf("%s(...)", r.call.Fn) }
func (r *recorded) Type() string          { return r.call.Fn }
func (r *recorded) Freeze()               {}
func (r *recorded) Truth() starlark.Bool  { return starlark.True }
func (r *recorded) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: %s", r.call.Fn) }

// builtin describes a Tilt function: its parameters in Tilt's order; a
// trailing "?" marks an optional one (starlark.UnpackArgs convention).
type builtin struct {
	name   string
	params []string
}

// Parameter lists of Tilt's Tiltfile API (docs.tilt.dev/api.html).
// NOTE: only kustomize's list was compared with Tilt's source. A parameter
// missing from the other lists is rejected here although Tilt accepts it.
var builtins = []builtin{
	{"allow_k8s_contexts", []string{"contexts"}},
	{"docker_build", []string{"ref", "context", "build_args?", "dockerfile?", "dockerfile_contents?",
		"live_update?", "match_in_env_vars?", "ignore?", "only?", "entrypoint?", "target?", "ssh?",
		"network?", "secret?", "extra_tag?", "container_args?", "cache_from?", "pull?", "platform?",
		"env_vars?", "extra_hosts?"}},
	{"sync", []string{"local_path", "remote_path"}},
	{"run", []string{"cmd", "trigger?", "echo_off?"}},
	{"fall_back_on", []string{"files"}},
	{"k8s_yaml", []string{"yaml", "allow_duplicates?"}},
	{"kustomize", []string{"paths", "kustomize_bin?", "flags?"}},
	{"k8s_resource", []string{"workload?", "new_name?", "port_forwards?", "extra_pod_selectors?",
		"trigger_mode?", "resource_deps?", "objects?", "auto_init?", "labels?", "links?",
		"pod_readiness?", "discovery_strategy?"}},
	{"local_resource", []string{"name", "cmd?", "deps?", "trigger_mode?", "resource_deps?", "ignore?",
		"auto_init?", "serve_cmd?", "cmd_bat?", "serve_cmd_bat?", "allow_parallel?", "links?",
		"tags?", "env?", "serve_env?", "readiness_probe?", "dir?", "serve_dir?", "labels?"}},
	{"link", []string{"url", "name?"}},
	{"port_forward", []string{"local_port", "container_port?", "name?", "link_path?", "host?"}},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tiltfile-eval PATH_TO_TILTFILE")
		os.Exit(2)
	}

	calls, err := evaluate(os.Args[1])
	if err != nil {
		if evalErr, ok := err.(*starlark.EvalError); ok {
			fmt.Fprintln(os.Stderr, evalErr.Backtrace())
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}

	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	if err := out.Encode(map[string]any{"calls": calls}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// evaluate executes the Tiltfile and returns the builtin calls in order.
func evaluate(path string) ([]call, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}

	var calls []call
	predeclared := starlark.StringDict{
		// Tilt's trigger modes are opaque constants; integers stand in for them.
		"TRIGGER_MODE_AUTO":   starlark.MakeInt(0),
		"TRIGGER_MODE_MANUAL": starlark.MakeInt(1),
	}
	for _, b := range builtins {
		predeclared[b.name] = recorder(b, &calls)
	}

	// Tilt allows these language extensions in Tiltfiles.
	options := &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}
	thread := &starlark.Thread{
		Name: "tiltfile",
		Load: func(_ *starlark.Thread, module string) (starlark.StringDict, error) {
			return nil, fmt.Errorf("load(%q): extensions are not supported by tiltfile-eval", module)
		},
	}
	if _, err := starlark.ExecFileOptions(options, thread, path, src, predeclared); err != nil {
		return nil, err
	}
	return calls, nil
}

// recorder returns a Starlark builtin that binds its arguments to b's
// parameters, appends the call to calls, and returns it as a value.
func recorder(b builtin, calls *[]call) *starlark.Builtin {
	return starlark.NewBuiltin(b.name, func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		values := make([]starlark.Value, len(b.params))
		pairs := make([]any, 0, 2*len(b.params))
		for i, p := range b.params {
			pairs = append(pairs, p, &values[i])
		}
		if err := starlark.UnpackArgs(fn.Name(), args, kwargs, pairs...); err != nil {
			return nil, err
		}

		c := call{Fn: b.name, Args: map[string]any{}}
		for i, p := range b.params {
			if values[i] == nil {
				continue
			}
			name := p
			if name[len(name)-1] == '?' {
				name = name[:len(name)-1]
			}
			converted, err := toJSON(values[i])
			if err != nil {
				return nil, fmt.Errorf("%s: argument %s: %v", b.name, name, err)
			}
			c.Args[name] = converted
		}

		*calls = append(*calls, c)
		return &recorded{call: c}, nil
	})
}

// toJSON converts a Starlark value to plain Go data for encoding/json.
func toJSON(v starlark.Value) (any, error) {
	switch x := v.(type) {
	case starlark.NoneType:
		return nil, nil
	case starlark.Bool:
		return bool(x), nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok {
			return nil, fmt.Errorf("integer out of range: %s", x)
		}
		return i, nil
	case starlark.Float:
		return float64(x), nil
	case starlark.String:
		return string(x), nil
	case *recorded:
		return x.call, nil
	case *starlark.List:
		return iterableToJSON(x)
	case starlark.Tuple:
		return iterableToJSON(x)
	case *starlark.Dict:
		out := map[string]any{}
		keys := x.Keys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			ks, ok := k.(starlark.String)
			if !ok {
				return nil, fmt.Errorf("dict key %s is not a string", k)
			}
			item, _, _ := x.Get(k)
			converted, err := toJSON(item)
			if err != nil {
				return nil, err
			}
			out[string(ks)] = converted
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unsupported value of type %s", v.Type())
	}
}

func iterableToJSON(it starlark.Indexable) ([]any, error) {
	out := make([]any, 0, it.Len())
	for i := 0; i < it.Len(); i++ {
		converted, err := toJSON(it.Index(i))
		if err != nil {
			return nil, err
		}
		out = append(out, converted)
	}
	return out, nil
}
