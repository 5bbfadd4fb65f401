package stack

import (
	"path"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// owners tells which package a source file belongs to, for the frames
// whose function name may carry another package's prefix (closures the
// compiler copied into the function it inlined theirs into; see
// isClosure). It knows the files' places from the build:
//
//   - module cache and -trimpath paths hold "module@version/" (the module
//     path escaped as the module cache escapes it);
//   - -trimpath paths of the main module start with its module path, those
//     of the standard library with the package's import path;
//   - the standard library sits under GOROOT/src;
//   - other absolute paths (the main module, directory replacements and
//     workspace modules, built without -trimpath) are under a module root
//     learned from frames whose package is certain (a function that is not
//     a closure is always named after its own package), and the SDK's
//     own root is known from the start. A directory replacement's relative
//     path is resolved once the main module's root is known.
type owners struct {
	mainModule string
	mainPkg    string
	goroot     string
	modules    []string      // main module and dependencies, for longest-prefix ownership
	patterns   []pathPattern // "escaped/path@version/" of each dependency
	relReplace []relReplace  // directory replacements relative to the main module's root

	mu      sync.Mutex
	roots   map[string]string   // module root directory -> module path
	learned map[string]struct{} // packages already learned from
	files   map[string]string   // file -> package, found ones only
}

type pathPattern struct{ prefix, module string }

type relReplace struct{ dir, module string }

// maxOwnerFiles bounds the file cache; maxLearned bounds the packages
// remembered as learned from.
const (
	maxOwnerFiles = 1024
	maxLearned    = 4096
)

func newOwners(bi *debug.BuildInfo, mainPkg, goroot string) *owners {
	o := &owners{mainPkg: mainPkg, goroot: goroot, roots: map[string]string{},
		learned: map[string]struct{}{}, files: map[string]string{}}
	if bi != nil {
		o.mainModule = bi.Main.Path
		if o.mainModule != "" {
			o.modules = append(o.modules, o.mainModule)
		}
		for _, d := range bi.Deps {
			o.addDep(d)
		}
	}
	// The SDK's own root: its closures inlined into users' code are
	// recognized (and dropped as SDK frames) whatever the build.
	if fn := runtime.FuncForPC(reflect.ValueOf(newOwners).Pointer()); fn != nil {
		file, _ := fn.FileLine(fn.Entry())
		if root, ok := strings.CutSuffix(path.Dir(file), "/internal/stack"); ok && isAbsFile(root) {
			o.roots[root] = SDKModule
		}
	}
	return o
}

func (o *owners) addDep(d *debug.Module) {
	o.modules = append(o.modules, d.Path)
	o.patterns = append(o.patterns, pathPattern{escapeModulePath(d.Path) + "@" + d.Version + "/", d.Path})
	r := d.Replace
	switch {
	case r == nil:
	case r.Version != "" && r.Version != "(devel)": // a directory replacement's is "(devel)"
		o.patterns = append(o.patterns, pathPattern{escapeModulePath(r.Path) + "@" + r.Version + "/", d.Path})
	case isAbsFile(r.Path):
		o.roots[path.Clean(r.Path)] = d.Path
	default:
		o.relReplace = append(o.relReplace, relReplace{r.Path, d.Path})
	}
}

// escapeModulePath escapes upper-case letters as the module cache does
// ("github.com/Azure/x" -> "github.com/!azure/x").
func escapeModulePath(p string) string {
	if strings.IndexFunc(p, func(r rune) bool { return 'A' <= r && r <= 'Z' }) < 0 {
		return p
	}
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isAbsFile(f string) bool {
	return strings.HasPrefix(f, "/") || (len(f) > 2 && f[1] == ':' && (f[2] == '/' || f[2] == '\\'))
}

// moduleOf returns the module that owns the import path pkg, or "".
func (o *owners) moduleOf(pkg string) string {
	best := ""
	for _, m := range o.modules {
		if len(m) > len(best) && hasPathPrefix(pkg, m) {
			best = m
		}
	}
	return best
}

// learn records the root of the module of package pkg (certain: the
// frame is not a closure's) from the absolute path of one of its files.
func (o *owners) learn(pkg, file string) {
	if !isAbsFile(file) || pkg == "" {
		return
	}
	if pkg == "main" {
		if o.mainPkg == "" || o.mainPkg == "command-line-arguments" || strings.HasSuffix(o.mainPkg, ".test") {
			return
		}
		pkg = o.mainPkg
	}
	pkg = strings.TrimSuffix(pkg, "_test")
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.learned[pkg]; ok || len(o.learned) >= maxLearned {
		return
	}
	o.learned[pkg] = struct{}{}
	mod := o.moduleOf(pkg)
	if mod == "" {
		return
	}
	dir := path.Dir(file)
	root, ok := strings.CutSuffix(dir, pkg[len(mod):])
	if !ok || root == "" {
		return
	}
	if _, known := o.roots[root]; known {
		return
	}
	o.roots[root] = mod
	if mod == o.mainModule {
		for _, r := range o.relReplace {
			o.roots[path.Join(root, r.dir)] = r.module
		}
	}
}

// packageOf returns the import path of the package the file belongs to,
// or "" when the build does not tell.
func (o *owners) packageOf(file string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p, ok := o.files[file]; ok {
		return p
	}
	p := o.find(file)
	if p != "" {
		if len(o.files) >= maxOwnerFiles {
			clear(o.files)
		}
		o.files[file] = p
	}
	return p
}

func (o *owners) find(file string) string {
	dir := path.Dir(file)
	for _, p := range o.patterns {
		if i := strings.Index(dir+"/", p.prefix); i == 0 || (i > 0 && dir[i-1] == '/') {
			return joinPkg(p.module, strings.TrimPrefix(dir[min(len(dir), i+len(p.prefix)):], "/"))
		}
	}
	if o.goroot != "" {
		if rel, ok := strings.CutPrefix(dir, o.goroot+"/src/"); ok {
			return strings.TrimPrefix(rel, "vendor/")
		}
	}
	if !isAbsFile(file) { // -trimpath
		if o.mainModule != "" && hasPathPrefix(dir, o.mainModule) {
			return dir
		}
		if dir != "." && isStdlib(dir) && !strings.Contains(dir, "@") {
			return dir
		}
		return ""
	}
	best, mod := "", ""
	for root, m := range o.roots {
		if len(root) > len(best) && (dir == root || strings.HasPrefix(dir, root+"/")) {
			best, mod = root, m
		}
	}
	if best == "" {
		return ""
	}
	rel := strings.TrimPrefix(dir[len(best):], "/")
	if v, ok := strings.CutPrefix(rel, "vendor/"); ok {
		return v
	}
	return joinPkg(mod, rel)
}

func joinPkg(mod, rel string) string {
	if rel == "" || rel == "." {
		return mod
	}
	return mod + "/" + rel
}

// realPackage returns the package a frame's code belongs to: pkg, taken
// from the function's name, unless the function is a closure whose file
// the build places in another package. neighbors are the other frames of
// the same stack, from this binary: they tell where pkg's files are (a
// closure in the directory of a certain frame of pkg is pkg's), and teach
// module roots when the file's is not known yet. Without them (frames
// read from crash output, maybe another binary's), a closure named after
// package main is moved only to a package outside the main module.
func (o *owners) realPackage(pkg, fn, file string, neighbors []rawFrame) string {
	if o == nil || !isClosure(fn) || file == "" || strings.HasPrefix(file, "<") {
		return pkg
	}
	dir := path.Dir(file)
	for _, f := range neighbors {
		if f.pkg == pkg && !f.closure && path.Dir(f.file) == dir {
			return pkg
		}
	}
	owner := o.packageOf(file)
	if owner == "" && len(neighbors) > 0 {
		for _, f := range neighbors {
			if !f.closure && f.pkg != "" {
				o.learn(f.pkg, f.file)
			}
		}
		owner = o.packageOf(file)
	}
	switch {
	case owner == "" || owner == strings.TrimSuffix(pkg, "_test"):
		return pkg
	case len(neighbors) == 0 && pkg == "main" && o.mainModule != "" && hasPathPrefix(owner, o.mainModule):
		return pkg
	case owner == o.mainPkg && o.mainPkg != "":
		return "main" // the main package's closure, copied into another package
	}
	return owner
}
