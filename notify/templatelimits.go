package notify

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
)

// Per-button templates are written by admins and run at every check-in, so
// what they may do is bounded before they run: text/template cannot be
// stopped once it executes (a {{range 20000000}} took a second at save and
// at every check-in). A template may not define or call other templates
// (recursion), may range only over a number written in it or .PartySize,
// and every range's iterations, nested ones multiplied, must stay within
// maxTemplateIterations; printf needs a constant format without * and
// with widths and precisions of at most maxPrintfWidth. What it writes is
// cut off at maxTemplateOutput bytes.
const (
	maxTemplateIterations = 1000
	maxPrintfWidth        = 100
	// maxTemplateOutput is far above any message (contentTextLimit is
	// 1,000 characters, at most 4 bytes each), far below harm.
	maxTemplateOutput = 16 << 10
)

// errTemplateOutput stops a template that writes more than maxTemplateOutput.
var errTemplateOutput = errors.New("writes more than 16 KiB")

// checkTemplateLimits reports what in tpl exceeds the limits above.
func checkTemplateLimits(tpl *template.Template) error {
	if len(tpl.Templates()) > 1 {
		return errors.New("must not define templates ({{define}} or {{block}})")
	}
	if tpl.Tree == nil || tpl.Tree.Root == nil {
		return nil
	}
	return walkLimits(tpl.Tree.Root, 1)
}

// walkLimits checks n, run `times` times by the ranges around it.
func walkLimits(n parse.Node, times int) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := walkLimits(c, times); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return checkPipe(n.Pipe)
	case *parse.TemplateNode:
		return errors.New("must not call templates ({{template}})")
	case *parse.IfNode:
		return walkBranch(&n.BranchNode, times)
	case *parse.WithNode:
		return walkBranch(&n.BranchNode, times)
	case *parse.RangeNode:
		k, err := rangeCount(n.Pipe)
		if err != nil {
			return err
		}
		if times*k > maxTemplateIterations {
			return fmt.Errorf("ranges over more than %d iterations in all", maxTemplateIterations)
		}
		if err := walkLimits(n.List, times*k); err != nil {
			return err
		}
		return walkLimits(n.ElseList, times)
	}
	return nil
}

func walkBranch(b *parse.BranchNode, times int) error {
	if err := checkPipe(b.Pipe); err != nil {
		return err
	}
	if err := walkLimits(b.List, times); err != nil {
		return err
	}
	return walkLimits(b.ElseList, times)
}

// rangeCount is the most iterations a range's pipeline allows: a number
// written in the template, or .PartySize.
func rangeCount(p *parse.PipeNode) (int, error) {
	refuse := errors.New("may range only over a number or .PartySize")
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return 0, refuse
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.NumberNode:
		if !a.IsInt || a.Int64 > maxTemplateIterations {
			return 0, fmt.Errorf("ranges over more than %d iterations in all", maxTemplateIterations)
		}
		return max(int(a.Int64), 1), nil
	case *parse.FieldNode:
		if len(a.Ident) == 1 && a.Ident[0] == "PartySize" {
			return MaxPartySize, nil
		}
	}
	return 0, refuse
}

// checkPipe checks the printf calls in a pipeline.
func checkPipe(p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	for _, c := range p.Cmds {
		if len(c.Args) == 0 {
			continue
		}
		if id, ok := c.Args[0].(*parse.IdentifierNode); !ok || id.Ident != "printf" {
			continue
		}
		if len(c.Args) < 2 {
			return nil // a template error at execution
		}
		f, ok := c.Args[1].(*parse.StringNode)
		if !ok {
			return errors.New("printf needs a constant format")
		}
		if err := checkFormat(f.Text); err != nil {
			return err
		}
	}
	return nil
}

// checkFormat refuses * and widths or precisions above maxPrintfWidth: a
// "%0999999999d" would allocate a gigabyte.
func checkFormat(f string) error {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		for i++; i < len(f) && strings.IndexByte("+-# 0123456789.[]*", f[i]) >= 0; i++ {
			if f[i] == '*' {
				return errors.New("printf must not take * widths")
			}
			if f[i] >= '1' && f[i] <= '9' {
				n := 0
				for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
					if n = n*10 + int(f[i]-'0'); n > maxPrintfWidth {
						return fmt.Errorf("printf widths and precisions must be at most %d", maxPrintfWidth)
					}
				}
				i--
			}
		}
	}
	return nil
}

// cappedWriter fails once more than n bytes are written to it, which stops
// the template executing.
type cappedWriter struct {
	b strings.Builder
	n int
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.n {
		return 0, errTemplateOutput
	}
	return w.b.Write(p)
}
