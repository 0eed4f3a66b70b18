// Command checker verifies strongroom log checkpoints and proofs with Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog, an implementation strongroom's
// authors did not write. Build in GOPATH mode (see docs/auditor-guide.md):
//
//	GO111MODULE=off GOPATH=$tmp:/usr/share/gocode go build -o checker checker.go
//
// Usage:
//
//	checker vkey VKEY_FILE                      re-derive the vkey string from its key
//	checker checkpoint VKEY_FILE CHECKPOINT     verify a signed checkpoint
//	checker inclusion VKEY_FILE TLOG_PROOF      verify a c2sp.org/tlog-proof@v1 file
//	checker consistency VKEY_FILE OLD_CHECKPOINT CONSISTENCY_PROOF
//
// Exit status 0 means verified; anything else prints the reason.
package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func readVerifier(path string) (note.Verifier, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	vkey := strings.TrimSpace(string(b))
	v, err := note.NewVerifier(vkey)
	return v, vkey, err
}

// openCheckpoint verifies the note signature and parses the tlog-checkpoint body.
func openCheckpoint(v note.Verifier, msg []byte) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return checkpoint{}, fmt.Errorf("note: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return checkpoint{}, errors.New("checkpoint has fewer than 3 lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("bad root hash: %w", err)
	}
	if lines[0] != v.Name() {
		return checkpoint{}, fmt.Errorf("origin %q is not the key name %q", lines[0], v.Name())
	}
	return checkpoint{lines[0], size, root}, nil
}

// splitProof returns the header lines before the empty line and the note after it.
func splitProof(text, header string) ([]string, []byte, error) {
	head, rest, ok := strings.Cut(text, "\n\n")
	if !ok {
		return nil, nil, errors.New("no empty line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != header {
		return nil, nil, fmt.Errorf("first line is not %q", header)
	}
	return lines[1:], []byte(rest), nil
}

func parseHashes(lines []string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, l := range lines {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return nil, fmt.Errorf("bad proof hash %q: %w", l, err)
		}
		out = append(out, h)
	}
	return out, nil
}

func inclusion(v note.Verifier, text string) error {
	lines, msg, err := splitProof(text, "c2sp.org/tlog-proof@v1")
	if err != nil {
		return err
	}
	var extra []byte
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		if extra, err = base64.StdEncoding.DecodeString(lines[0][6:]); err != nil {
			return fmt.Errorf("bad extra: %w", err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return errors.New("no index line")
	}
	index, err := strconv.ParseInt(lines[0][6:], 10, 64)
	if err != nil {
		return fmt.Errorf("bad index: %w", err)
	}
	proof, err := parseHashes(lines[1:])
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(v, msg)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), cp.size, cp.root, index, tlog.RecordHash(extra)); err != nil {
		return fmt.Errorf("tlog.CheckRecord: %w", err)
	}
	fmt.Printf("OK inclusion of record %d in %s at size %d\n", index, cp.origin, cp.size)
	return nil
}

func consistency(v note.Verifier, oldMsg []byte, text string) error {
	old, err := openCheckpoint(v, oldMsg)
	if err != nil {
		return fmt.Errorf("old checkpoint: %w", err)
	}
	lines, msg, err := splitProof(text, "strongroom.dev/tlog-consistency@v1")
	if err != nil {
		return err
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "old ") {
		return errors.New("no old line")
	}
	proof, err := parseHashes(lines[1:])
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(v, msg)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), cp.size, cp.root, old.size, old.root); err != nil {
		return fmt.Errorf("tlog.CheckTree: %w", err)
	}
	fmt.Printf("OK size %d is a prefix of %s at size %d\n", old.size, cp.origin, cp.size)
	return nil
}

func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: checker vkey|checkpoint|inclusion|consistency VKEY_FILE ...")
	}
	v, vkey, err := readVerifier(args[1])
	if err != nil {
		return fmt.Errorf("vkey: %w", err)
	}
	read := func(i int) ([]byte, error) {
		if i >= len(args) {
			return nil, errors.New("missing file argument")
		}
		return os.ReadFile(args[i])
	}
	switch args[0] {
	case "vkey":
		parts := strings.SplitN(vkey, "+", 3)
		raw, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || len(raw) != 33 {
			return errors.New("vkey key material is not 0x01 || 32 bytes")
		}
		again, err := note.NewEd25519VerifierKey(v.Name(), ed25519.PublicKey(raw[1:]))
		if err != nil {
			return err
		}
		if again != vkey {
			return fmt.Errorf("Go encodes this key as %s, not %s", again, vkey)
		}
		fmt.Println("OK vkey", again)
		return nil
	case "checkpoint":
		msg, err := read(2)
		if err != nil {
			return err
		}
		cp, err := openCheckpoint(v, msg)
		if err != nil {
			return err
		}
		fmt.Printf("OK checkpoint %s size %d root %s\n", cp.origin, cp.size, cp.root)
		return nil
	case "inclusion":
		text, err := read(2)
		if err != nil {
			return err
		}
		return inclusion(v, string(text))
	case "consistency":
		old, err := read(2)
		if err != nil {
			return err
		}
		text, err := read(3)
		if err != nil {
			return err
		}
		return consistency(v, old, string(text))
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "checker: FAIL:", err)
		os.Exit(1)
	}
}
