// Package groupingcorpus holds the grouping corpus test: a program with
// over twenty distinct bugs, built in variants of its source (lines
// shifted, closures added before others), runs each bug several times with
// ids and paths that change, and reports to an in-process receiver; a
// model of the stack-trace grouping servers document then checks that each
// bug keeps one group across builds and occurrences, and that no two bugs
// share one. The package has no code of its own.
package groupingcorpus
