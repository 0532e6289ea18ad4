package command

import (
	"fmt"
	"sort"
	"strings"
)

// Group declares the default limits of a concurrency group. Conductor
// writes them to command_limit when the group has no row yet; operators
// may change the row afterwards.
type Group struct {
	Name string
	// MaxRunning caps the group's runs Running or queued at once (0 = no cap).
	MaxRunning int
	// RatePerMinute caps how many runs may start per minute (0 = no cap).
	RatePerMinute float64
}

// Registry holds every declared command. It is built by package app and
// passed down; nothing here is global.
type Registry struct {
	cmds   []*Command
	byName map[string]*Command
	groups []Group
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]*Command{}} }

// Add declares commands. Like model declarations, a broken command is a
// programming error: Add panics with a message naming it. Cycles between
// commands are found by Graph, which Conductor and `cubed run` call at start.
func (r *Registry) Add(cmds ...Command) {
	for _, c := range cmds {
		c.complete()
		if err := c.validate(); err != nil {
			panic("command: " + err.Error())
		}
		if _, dup := r.byName[c.Name]; dup {
			panic(fmt.Sprintf("command: %s declared twice", c.Name))
		}
		c.ReadsFrom = append([]string(nil), c.ReadsFrom...)
		c.WritesTo = append([]string(nil), c.WritesTo...)
		cp := c
		r.cmds = append(r.cmds, &cp)
		r.byName[c.Name] = &cp
	}
}

// AddGroup declares a concurrency group's default limits.
func (r *Registry) AddGroup(g Group) {
	for i := range r.groups {
		if r.groups[i].Name == g.Name {
			r.groups[i] = g
			return
		}
	}
	r.groups = append(r.groups, g)
}

// Groups returns the declared groups.
func (r *Registry) Groups() []Group { return append([]Group(nil), r.groups...) }

// Get returns a command by name.
func (r *Registry) Get(name string) (*Command, bool) {
	c, ok := r.byName[name]
	return c, ok
}

// All returns the commands in declaration order.
func (r *Registry) All() []*Command { return append([]*Command(nil), r.cmds...) }

// Len is the number of commands.
func (r *Registry) Len() int { return len(r.cmds) }

// CycleError reports a dependency cycle, naming it.
type CycleError struct {
	// Path starts and ends with the same command.
	Path []string
}

func (e *CycleError) Error() string {
	return "command dependency cycle: " + strings.Join(e.Path, " -> ")
}

// Edge is a derived dependency: Child reads Tables that Parent writes.
type Edge struct {
	Parent, Child string
	Tables        []string
}

// Graph is the derived dependency graph of a registry's commands.
type Graph struct {
	reg      *Registry
	index    map[string]int // declaration order
	parents  map[string][]string
	children map[string][]string
	edges    []Edge
	order    []string
}

// Graph derives the dependencies: B depends on A when B reads a table that
// A writes (A ≠ B; a command reading and writing one table does not depend
// on itself). A cycle is a *CycleError naming it.
func (r *Registry) Graph() (*Graph, error) {
	g := &Graph{reg: r, index: map[string]int{}, parents: map[string][]string{}, children: map[string][]string{}}
	writers := map[string][]string{} // table -> commands writing it
	for i, c := range r.cmds {
		g.index[c.Name] = i
		for _, t := range c.WritesTo {
			writers[t] = append(writers[t], c.Name)
		}
	}
	for _, child := range r.cmds {
		tables := map[string][]string{} // parent -> tables
		for _, t := range child.ReadsFrom {
			for _, p := range writers[t] {
				if p != child.Name && !contains(tables[p], t) {
					tables[p] = append(tables[p], t)
				}
			}
		}
		for _, p := range r.cmds { // declaration order
			if ts, ok := tables[p.Name]; ok {
				g.edges = append(g.edges, Edge{Parent: p.Name, Child: child.Name, Tables: ts})
				g.parents[child.Name] = append(g.parents[child.Name], p.Name)
				g.children[p.Name] = append(g.children[p.Name], child.Name)
			}
		}
	}
	if cyc := g.findCycle(); cyc != nil {
		return nil, &CycleError{Path: cyc}
	}
	g.order = g.topo()
	return g, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// findCycle runs a depth-first search in name order and returns the first
// cycle found, as a path that ends where it starts.
func (g *Graph) findCycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	names := make([]string, 0, len(g.index))
	for n := range g.index {
		names = append(names, n)
	}
	sort.Strings(names)
	var stack []string
	var found []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		kids := append([]string(nil), g.children[n]...)
		sort.Strings(kids)
		for _, k := range kids {
			switch color[k] {
			case grey:
				i := len(stack) - 1
				for stack[i] != k {
					i--
				}
				found = append(append([]string(nil), stack[i:]...), k)
				return true
			case white:
				if visit(k) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range names {
		if color[n] == white && visit(n) {
			return found
		}
	}
	return nil
}

// topo is Kahn's algorithm; among ready commands the earliest declared goes
// first, so the order is stable.
func (g *Graph) topo() []string {
	indeg := map[string]int{}
	for n := range g.index {
		indeg[n] = len(g.parents[n])
	}
	var out []string
	done := map[string]bool{}
	for len(out) < len(g.reg.cmds) {
		for _, c := range g.reg.cmds {
			if !done[c.Name] && indeg[c.Name] == 0 {
				done[c.Name] = true
				out = append(out, c.Name)
				for _, k := range g.children[c.Name] {
					indeg[k]--
				}
				break
			}
		}
	}
	return out
}

// Order is a topological order of all commands (parents first).
func (g *Graph) Order() []string { return append([]string(nil), g.order...) }

// Edges returns the derived edges, children in declaration order.
func (g *Graph) Edges() []Edge { return append([]Edge(nil), g.edges...) }

// Parents returns the direct parents of a command.
func (g *Graph) Parents(name string) []string { return append([]string(nil), g.parents[name]...) }

// Children returns the direct children of a command.
func (g *Graph) Children(name string) []string { return append([]string(nil), g.children[name]...) }

// Downstream returns the commands that depend on name directly or
// transitively, in topological order (name itself excluded).
func (g *Graph) Downstream(name string) []string { return g.closure(name, g.children) }

// Upstream returns the commands name depends on directly or transitively,
// in topological order (name itself excluded).
func (g *Graph) Upstream(name string) []string { return g.closure(name, g.parents) }

func (g *Graph) closure(name string, next map[string][]string) []string {
	seen := map[string]bool{}
	var walk func(n string)
	walk = func(n string) {
		for _, k := range next[n] {
			if !seen[k] {
				seen[k] = true
				walk(k)
			}
		}
	}
	walk(name)
	var out []string
	for _, n := range g.order {
		if seen[n] && n != name {
			out = append(out, n)
		}
	}
	return out
}

// Plan renders the graph in the style of spec/domain.md §11: one line per
// parent, "parent → child, child, ...", wrapped at width, then the commands
// without dependants or dependencies.
func (g *Graph) Plan(width int) string {
	if width <= 0 {
		width = 96
	}
	pad := 0
	for _, c := range g.reg.cmds {
		if len(g.children[c.Name]) > 0 && len(c.Name) > pad {
			pad = len(c.Name)
		}
	}
	var b strings.Builder
	for _, n := range g.order {
		kids := g.children[n]
		if len(kids) == 0 {
			continue
		}
		prefix := n + strings.Repeat(" ", pad-len(n)) + " → "
		indent := strings.Repeat(" ", len([]rune(prefix)))
		line := prefix
		for i, k := range kids {
			item := k
			if i < len(kids)-1 {
				item += ","
			}
			if len([]rune(line))+len(item) > width && line != prefix && line != indent {
				b.WriteString(strings.TrimRight(line, " ") + "\n")
				line = indent
			}
			line += item + " "
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	var alone []string
	for _, n := range g.order {
		if len(g.children[n]) == 0 && len(g.parents[n]) == 0 {
			alone = append(alone, n)
		}
	}
	if len(alone) > 0 {
		b.WriteString("independent: " + strings.Join(alone, ", ") + "\n")
	}
	b.WriteString("order: " + strings.Join(g.order, ", ") + "\n")
	return b.String()
}
