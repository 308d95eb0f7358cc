// Command gosymdump prints the Go toolchain's own view of a binary's pclntab, as
// decoded by debug/gosym, so that goaudit's reader can be checked against it.
//
// Usage: gosymdump FILE
//
// Output, one record per line:
//
//	# magic 0xfffffff1 located section:.gopclntab textstart 0x401000
//	F <entry hex> <end hex> <name>
//	P <file name>          (sorted, unique)
//	S <entry hex> <file>   (the source file of each function's entry PC, when it has one)
//
// Locating follows cmd/internal/objfile (sections by name, then the runtime.pclntab
// symbols). When neither exists (stripped PE, external-link PIE) it falls back to the
// first header-shaped magic in a non-executable section and says so in the # line,
// because the decoding, which is what is being checked, is still debug/gosym's.
//
// Exit status 3 means the binary has no pclntab gosymdump can locate.
package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
)

type found struct {
	data           []byte
	how            string
	textStart      uint64 // .text start as the toolchain's tools take it
	runtimeText    uint64
	hasRuntimeText bool
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gosymdump FILE")
		os.Exit(2)
	}
	f, err := locate(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosymdump:", err)
		os.Exit(2)
	}
	if f == nil {
		fmt.Fprintln(os.Stderr, "gosymdump: no pclntab found")
		os.Exit(3)
	}
	if len(f.data) < 16 {
		fmt.Fprintln(os.Stderr, "gosymdump: pclntab too short")
		os.Exit(2)
	}
	var order binary.ByteOrder = binary.LittleEndian
	magic := binary.LittleEndian.Uint32(f.data)
	if magic&0xfffffff0 != 0xfffffff0 {
		order = binary.BigEndian
		magic = binary.BigEndian.Uint32(f.data)
	}
	ptr := int(f.data[7])
	text := f.textStart
	if f.hasRuntimeText {
		text = f.runtimeText
	}
	// Go 1.18+ record textStart in the header; the linker's own value wins over the
	// section address (external linking puts C code before runtime.text).
	if (magic == 0xfffffff0 || magic == 0xfffffff1) && len(f.data) >= 8+3*ptr {
		var v uint64
		if ptr == 8 {
			v = order.Uint64(f.data[8+2*ptr:])
		} else {
			v = uint64(order.Uint32(f.data[8+2*ptr:]))
		}
		if v != 0 {
			text = v
		}
	}
	lt := gosym.NewLineTable(f.data, text)
	tab, err := gosym.NewTable(nil, lt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosymdump: debug/gosym:", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "# magic %#x located %s textstart %#x\n", magic, f.how, text)
	for _, fn := range tab.Funcs {
		fmt.Fprintf(w, "F %x %x %s\n", fn.Entry, fn.End, fn.Name)
	}
	for _, fn := range tab.Funcs {
		if file, _, _ := tab.PCToLine(fn.Entry); file != "" {
			fmt.Fprintf(w, "S %x %s\n", fn.Entry, file)
		}
	}
	files := make([]string, 0, len(tab.Files))
	for name := range tab.Files {
		files = append(files, name)
	}
	sort.Strings(files)
	for _, name := range files {
		fmt.Fprintf(w, "P %s\n", name)
	}
}

var magics = [][]byte{
	{0xf1, 0xff, 0xff, 0xff, 0, 0},
	{0xf0, 0xff, 0xff, 0xff, 0, 0},
	{0xfa, 0xff, 0xff, 0xff, 0, 0},
	{0xfb, 0xff, 0xff, 0xff, 0, 0},
	{0xff, 0xff, 0xff, 0xf1, 0, 0},
	{0xff, 0xff, 0xff, 0xf0, 0, 0},
	{0xff, 0xff, 0xff, 0xfa, 0, 0},
	{0xff, 0xff, 0xff, 0xfb, 0, 0},
}

// scan returns the data from the first plausible pclntab header in b.
func scan(b []byte) []byte {
	best := -1
	for _, m := range magics {
		for off := 0; ; {
			i := bytes.Index(b[off:], m)
			if i < 0 {
				break
			}
			at := off + i
			off = at + 1
			if at+8 > len(b) {
				break
			}
			q, p := b[at+6], b[at+7]
			if (q == 1 || q == 2 || q == 4) && (p == 4 || p == 8) {
				if best < 0 || at < best {
					best = at
				}
				break
			}
		}
	}
	if best < 0 {
		return nil
	}
	return b[best:]
}

func locate(path string) (*found, error) {
	if e, err := elf.Open(path); err == nil {
		defer e.Close()
		r := &found{}
		if s := e.Section(".text"); s != nil {
			r.textStart = s.Addr
		}
		for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} {
			if s := e.Section(name); s != nil {
				d, err := s.Data()
				if err != nil {
					return nil, err
				}
				r.data, r.how = d, "section:"+name
				break
			}
		}
		if syms, err := e.Symbols(); err == nil {
			for _, s := range syms {
				if s.Name == "runtime.text" {
					r.runtimeText, r.hasRuntimeText = s.Value, true
				}
			}
			var start, end *elf.Symbol
			for i := range syms {
				switch syms[i].Name {
				case "runtime.pclntab":
					start = &syms[i]
				case "runtime.epclntab":
					end = &syms[i]
				}
			}
			if r.data != nil {
				return r, nil
			}
			if start != nil && end != nil {
				if d := elfRange(e, start.Value, end.Value); d != nil {
					r.data, r.how = d, "symbols"
					return r, nil
				}
			}
		}
		if r.data != nil {
			return r, nil
		}
		for _, s := range e.Sections {
			if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_ALLOC != 0 && s.Flags&elf.SHF_EXECINSTR == 0 {
				d, err := s.Data()
				if err != nil {
					continue
				}
				if p := scan(d); p != nil {
					r.data, r.how = p, "scan:"+s.Name
					return r, nil
				}
			}
		}
		return nil, nil
	}
	if m, err := macho.Open(path); err == nil {
		defer m.Close()
		r := &found{}
		if s := m.Section("__text"); s != nil {
			r.textStart = s.Addr
		}
		if m.Symtab != nil {
			for _, s := range m.Symtab.Syms {
				if s.Name == "runtime.text" {
					r.runtimeText, r.hasRuntimeText = s.Value, true
				}
			}
		}
		if s := m.Section("__gopclntab"); s != nil {
			d, err := s.Data()
			if err != nil {
				return nil, err
			}
			r.data, r.how = d, "section:__gopclntab"
			return r, nil
		}
		return nil, nil
	}
	if p, err := pe.Open(path); err == nil {
		defer p.Close()
		var base uint64
		switch h := p.OptionalHeader.(type) {
		case *pe.OptionalHeader32:
			base = uint64(h.ImageBase)
		case *pe.OptionalHeader64:
			base = h.ImageBase
		}
		r := &found{}
		if s := p.Section(".text"); s != nil {
			r.textStart = base + uint64(s.VirtualAddress)
		}
		sym := func(name string) *pe.Symbol {
			for _, s := range p.Symbols {
				if s.Name == name && s.SectionNumber > 0 && int(s.SectionNumber) <= len(p.Sections) {
					return s
				}
			}
			return nil
		}
		if s := sym("runtime.text"); s != nil {
			sec := p.Sections[s.SectionNumber-1]
			r.runtimeText, r.hasRuntimeText = base+uint64(sec.VirtualAddress)+uint64(s.Value), true
		}
		for _, names := range [][2]string{{"runtime.pclntab", "runtime.epclntab"}, {"pclntab", "epclntab"}} {
			s, e := sym(names[0]), sym(names[1])
			if s == nil || e == nil || s.SectionNumber != e.SectionNumber || e.Value < s.Value {
				continue
			}
			d, err := p.Sections[s.SectionNumber-1].Data()
			if err != nil || int(e.Value) > len(d) {
				continue
			}
			r.data, r.how = d[s.Value:e.Value], "symbols"
			return r, nil
		}
		for _, s := range p.Sections {
			if s.Characteristics&pe.IMAGE_SCN_MEM_EXECUTE != 0 {
				continue
			}
			d, err := s.Data()
			if err != nil {
				continue
			}
			if q := scan(d); q != nil {
				r.data, r.how = q, "scan:"+s.Name
				return r, nil
			}
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%s: not ELF, Mach-O or PE", path)
}

// elfRange returns the file bytes of [start, end) from the segment that maps them.
func elfRange(e *elf.File, start, end uint64) []byte {
	for _, p := range e.Progs {
		if p.Type == elf.PT_LOAD && start >= p.Vaddr && end <= p.Vaddr+p.Filesz && end >= start {
			b := make([]byte, end-start)
			if _, err := p.ReadAt(b, int64(start-p.Vaddr)); err != nil {
				return nil
			}
			return b
		}
	}
	return nil
}
