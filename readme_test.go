package raven_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeImports are the packages a README fragment may use without
// importing them: the fragment gets an import for each of these names it
// refers to and does not declare.
var readmeImports = map[string]string{
	"raven":           "github.com/ravenkit/raven",
	"raventest":       "github.com/ravenkit/raven/raventest",
	"ravenhttp":       "github.com/ravenkit/raven/integrations/http",
	"ravenhttpclient": "github.com/ravenkit/raven/integrations/httpclient",
	"ravenslog":       "github.com/ravenkit/raven/integrations/slog",
	"ravenerrgroup":   "github.com/ravenkit/raven/integrations/errgroup",
	"context":         "context",
	"errors":          "errors",
	"fmt":             "fmt",
	"http":            "net/http",
	"httptest":        "net/http/httptest",
	"io":              "io",
	"log":             "log",
	"os":              "os",
	"slog":            "log/slog",
	"strings":         "strings",
	"testing":         "testing",
	"time":            "time",
}

// readmeBlock is one ```go block of the README.
type readmeBlock struct {
	line int // README line of the block's first line of code
	src  string
}

// readmeGoBlocks returns the ```go blocks of a Markdown document.
func readmeGoBlocks(t *testing.T, doc []byte) []readmeBlock {
	t.Helper()
	var blocks []readmeBlock
	var cur *readmeBlock
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fence := strings.HasPrefix(strings.TrimSpace(line), "```")
		switch {
		case cur == nil && fence && strings.TrimSpace(strings.TrimSpace(line)[3:]) == "go":
			cur = &readmeBlock{line: n + 1}
		case cur != nil && fence:
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.src += line + "\n"
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "README: a ```go block starting at line %d is not closed", func() int {
		if cur != nil {
			return cur.line
		}
		return 0
	}())
	return blocks
}

// readmeProgram turns a README block into a Go file:
//   - a block with a package clause is a complete file and is built as it is;
//   - a block of declarations (func, type, var, const) gets a package clause
//     (main when it declares main) and imports for the names of
//     readmeImports it uses;
//   - a block of statements becomes the body of a function with a parameter
//     ctx context.Context, with the same imports.
//
// A block that is none of these is an error naming its README line. A
// //line directive makes compiler errors point at README.md.
func readmeProgram(readme string, b readmeBlock) (string, error) {
	fset := token.NewFileSet()
	directive := fmt.Sprintf("//line %s:%d\n", readme, b.line)
	if _, err := parser.ParseFile(fset, "", b.src, parser.PackageClauseOnly); err == nil {
		return directive + b.src, nil
	}
	declSrc := "package snippet\n" + directive + b.src
	f, declErr := parser.ParseFile(fset, "", declSrc, 0)
	if declErr == nil {
		if declaresMain(f) {
			declSrc = "package main\n" + directive + b.src
		}
		return withImports(fset, declSrc)
	}
	stmtSrc := "package snippet\n\nfunc _(ctx context.Context) {\n" + directive + b.src + "}\n"
	if _, stmtErr := parser.ParseFile(fset, "", stmtSrc, 0); stmtErr != nil {
		return "", fmt.Errorf("README.md:%d: the ```go block is neither a file, declarations nor statements:\n  as declarations: %v\n  as statements: %v", b.line, declErr, stmtErr)
	}
	return withImports(fset, stmtSrc)
}

// declaresMain reports whether f declares func main.
func declaresMain(f *ast.File) bool {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			return true
		}
	}
	return false
}

// withImports adds an import for every name of readmeImports that src uses
// as a package (x.Name) without declaring it anywhere.
func withImports(fset *token.FileSet, src string) (string, error) {
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	declared := map[string]bool{}
	declare := func(ids ...*ast.Ident) {
		for _, id := range ids {
			declared[id.Name] = true
		}
	}
	var used []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				used = append(used, id.Name)
			}
		case *ast.FuncDecl:
			declare(n.Name)
		case *ast.ValueSpec:
			declare(n.Names...)
		case *ast.TypeSpec:
			declare(n.Name)
		case *ast.Field:
			declare(n.Names...)
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, e := range n.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						declare(id)
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						declare(id)
					}
				}
			}
		}
		return true
	})
	var paths []string
	for _, name := range used {
		if p, ok := readmeImports[name]; ok && !declared[name] && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return src, nil
	}
	slices.Sort(paths)
	var imports strings.Builder
	imports.WriteString("\nimport (\n")
	for _, p := range paths {
		fmt.Fprintf(&imports, "\t%q\n", p)
	}
	imports.WriteString(")\n")
	end := strings.IndexByte(src, '\n') // after the package clause
	return src[:end+1] + imports.String() + src[end+1:], nil
}

// TestREADMEGoBlocks builds (go build, then go vet) every ```go block of
// README.md, each as a package of its own in a module that requires this
// one through a replace directive. Nothing is skipped: a block that cannot
// be made into a Go file fails the test.
func TestREADMEGoBlocks(t *testing.T) { buildDocGoBlocks(t, "README.md", "") }

// TestMigratingGoBlocks does the same for docs/MIGRATING.md, whose blocks
// starting with "// sentry-go" show the other SDK's code: they are counted
// and left out, every other block is built.
func TestMigratingGoBlocks(t *testing.T) {
	buildDocGoBlocks(t, filepath.Join("docs", "MIGRATING.md"), "// sentry-go")
}

func buildDocGoBlocks(t *testing.T, name, foreign string) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	readme := filepath.Join(root, name)
	doc, err := os.ReadFile(readme)
	require.NoError(t, err)
	var blocks []readmeBlock
	others := 0
	for _, b := range readmeGoBlocks(t, doc) {
		if foreign != "" && strings.HasPrefix(strings.TrimSpace(b.src), foreign) {
			others++
			continue
		}
		blocks = append(blocks, b)
	}
	require.NotEmpty(t, blocks, "%s has no ```go block of raven's", name)

	dir := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	modLine := regexp.MustCompile(`(?m)^module .*$`)
	require.True(t, modLine.Match(gomod), "go.mod has no module line")
	gomod = modLine.ReplaceAll(gomod, []byte("module readmesnippets"))
	gomod = fmt.Appendf(gomod, "\nrequire github.com/ravenkit/raven v0.0.0\n\nreplace github.com/ravenkit/raven => %s\n", root)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), gomod, 0o644))
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), gosum, 0o644))

	for _, b := range blocks {
		src, err := readmeProgram(name, b)
		require.NoError(t, err)
		pkg := filepath.Join(dir, fmt.Sprintf("line%04d", b.line))
		require.NoError(t, os.Mkdir(pkg, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(pkg, "snippet.go"), []byte(src), 0o644))
	}
	for _, args := range [][]string{{"build", "-o", os.DevNull, "./..."}, {"vet", "./..."}} {
		cmd := exec.Command(goCmd, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s of the Go blocks of %s:\n%s", strings.Join(args, " "), name, out)
	}
	t.Logf("built %d Go blocks of %s; %d blocks of sentry-go code left out", len(blocks), name, others)
}

func TestReadmeProgram(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string // substrings of the file
		wantErr string
	}{
		{
			name: "complete file kept as it is",
			src:  "package main\n\nfunc main() {}\n",
			want: []string{"//line README.md:3\npackage main\n\nfunc main() {}\n"},
		},
		{
			name: "declarations with main",
			src:  "func main() {\n\tfmt.Println(time.Second)\n}\n",
			want: []string{"package main\n", "\t\"fmt\"\n\t\"time\"\n", "//line README.md:3\nfunc main()"},
		},
		{
			name: "declarations without main",
			src:  "func worker(ctx context.Context) {\n\tdefer raven.RecoverContext(ctx)\n}\n",
			want: []string{"package snippet\n", "\t\"context\"\n\t\"github.com/ravenkit/raven\"\n"},
		},
		{
			name: "statements get ctx",
			src:  "raven.CaptureMessageContext(ctx, \"hello\")\n",
			want: []string{"func _(ctx context.Context) {\n//line README.md:3\nraven.CaptureMessageContext", "\t\"context\"\n"},
		},
		{
			name: "a declared name is not imported",
			src:  "func f(log *slog.Logger) {\n\tlog.Info(\"x\")\n}\n",
			want: []string{"\t\"log/slog\"\n)"},
		},
		{
			name:    "neither",
			src:     "x := 1\nfunc f() {}\n",
			wantErr: "README.md:3: the ```go block is neither",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readmeProgram("README.md", readmeBlock{line: 3, src: tt.src})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			for _, w := range tt.want {
				require.Contains(t, got, w)
			}
			if tt.name == "a declared name is not imported" {
				require.NotContains(t, got, "\t\"log\"\n")
			}
			_, err = parser.ParseFile(token.NewFileSet(), "", got, parser.AllErrors)
			require.NoError(t, err, got)
		})
	}
}
