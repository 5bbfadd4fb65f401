//go:build !unix

package main

import "errors"

func hold(string) error { return errors.New("no advisory locks on this platform") }
