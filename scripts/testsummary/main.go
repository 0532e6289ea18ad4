// Command testsummary reads `go test -json` output on stdin, prints the
// output of failed tests and a closing summary, and fails when a test
// failed or when PostgreSQL-backed tests were skipped although a server was
// provided.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	os.Exit(run())
}

func run() int {
	outputs := map[string]*strings.Builder{}
	var passed, failed, skipped, pgPassed, pgSkipped int
	var failures []string
	var pkgFail []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Println(string(line)) // build errors and the like
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			if b.Len() < 64*1024 {
				b.WriteString(e.Output)
			}
			if e.Test == "" && (strings.HasPrefix(e.Output, "ok ") || strings.HasPrefix(e.Output, "FAIL") || strings.HasPrefix(e.Output, "---")) {
				fmt.Print(e.Output)
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				if e.Action == "fail" {
					pkgFail = append(pkgFail, e.Package)
				}
				continue
			}
			isPG := strings.HasSuffix(e.Test, "/postgres") || strings.Contains(e.Test, "/postgres/")
			switch e.Action {
			case "pass":
				passed++
				if isPG && strings.HasSuffix(e.Test, "/postgres") {
					pgPassed++
				}
			case "fail":
				failed++
				failures = append(failures, key)
			case "skip":
				skipped++
				if isPG && strings.HasSuffix(e.Test, "/postgres") {
					pgSkipped++
				}
			}
		}
	}
	sort.Strings(failures)
	for _, f := range failures {
		fmt.Printf("\n--- FAIL: %s\n%s", f, outputs[f])
	}
	for _, p := range pkgFail {
		if b := outputs[p+" "]; b != nil && !strings.Contains(strings.Join(failures, "\n"), p+" ") {
			fmt.Printf("\n--- FAIL: package %s\n%s", p, b)
		}
	}
	fmt.Printf("\nPostgreSQL-backed tests: %d passed, %d skipped\n", pgPassed, pgSkipped)
	fmt.Printf("go: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || len(pkgFail) > 0 {
		return 1
	}
	if os.Getenv("CUBED_TEST_POSTGRES_URL") != "" && (pgSkipped > 0 || pgPassed == 0) {
		fmt.Println("error: PostgreSQL was provided but PostgreSQL-backed tests did not all run")
		return 1
	}
	return 0
}
