package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func (a *app) cmdProfile(args []string) error {
	return a.subcommand("profile", `Manage credential profiles in <user config dir>/uketsuke/profiles.json
(mode 0600). A profile holds the credential flags; the private key is
stored as a file path, never inline. Select one with --profile NAME or
UKETSUKE_PROFILE; a profile named "default" is used when none is selected.`, args, []subcmd{
		{"save", "save the current credentials as a profile", a.cmdProfileSave},
		{"list", "list the saved profiles", a.cmdProfileList},
		{"delete", "delete a profile", a.cmdProfileDelete},
	})
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (a *app) cmdProfileSave(args []string) error {
	c, cf := a.credCmd("profile save", "[flags] NAME", `
Save the credentials given by flags and UKETSUKE_* variables (and, for
what neither gives, the profile selected with --profile) as profile NAME,
replacing one of that name. The key file's absolute path is stored, not the
key.`)
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return a.usageErr(c, "a profile name is required")
	case len(pos) > 1:
		return a.usageErr(c, "unexpected argument %q", pos[1])
	case !profileName.MatchString(pos[0]):
		return a.usageErr(c, "profile name %q: use letters, digits, '.', '_' and '-'", pos[0])
	}
	name := pos[0]
	p, err := a.mergedProfile(cf)
	if err != nil {
		return err
	}
	if p.PrivateKeyFile != "" {
		if abs, err := filepath.Abs(p.PrivateKeyFile); err == nil {
			p.PrivateKeyFile = abs
		}
	}
	if p == (Profile{}) {
		return a.usageErr(c, "nothing to save: give credentials as flags or UKETSUKE_* variables")
	}
	pf, path, err := a.loadProfiles()
	if err != nil {
		return err
	}
	pf.Profiles[name] = p
	if err := saveProfiles(path, pf); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	a.printf("profile %q saved to %s (%s)\n", name, path, strings.Join(profileFields(p), ", "))
	return nil
}

// profileFields names the fields a profile sets, never their values.
func profileFields(p Profile) []string {
	var f []string
	for _, x := range []struct {
		name string
		set  bool
	}{
		{"client ID", p.ClientID != ""},
		{"client secret", p.ClientSecret != ""},
		{"service account", p.ServiceAccount != ""},
		{"key file", p.PrivateKeyFile != ""},
		{"scopes", p.Scopes != ""},
		{"bot ID", p.BotID != ""},
		{"API URL", p.APIURL != ""},
		{"auth URL", p.AuthURL != ""},
	} {
		if x.set {
			f = append(f, x.name)
		}
	}
	return f
}

func (a *app) cmdProfileList(args []string) error {
	c := newCmd("profile list", "", "List the saved profiles and the fields each sets (never the values of secrets).")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return a.usageErr(c, "unexpected argument %q", pos[0])
	}
	pf, path, err := a.loadProfiles()
	if err != nil {
		return err
	}
	if len(pf.Profiles) == 0 {
		a.printf("no profiles in %s\n", path)
		return nil
	}
	names := make([]string, 0, len(pf.Profiles))
	for n := range pf.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := pf.Profiles[n]
		detail := "sets " + strings.Join(profileFields(p), ", ")
		if p.ClientID != "" {
			detail = "client ID " + p.ClientID + "; " + detail
		}
		a.printf("%s\t%s\n", n, detail)
	}
	return nil
}

func (a *app) cmdProfileDelete(args []string) error {
	c := newCmd("profile delete", "NAME", "Delete a saved profile.")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return a.usageErr(c, "exactly one profile name is required")
	}
	pf, path, err := a.loadProfiles()
	if err != nil {
		return err
	}
	if _, ok := pf.Profiles[pos[0]]; !ok {
		return fmt.Errorf("no profile %q in %s", pos[0], path)
	}
	delete(pf.Profiles, pos[0])
	if err := saveProfiles(path, pf); err != nil {
		return err
	}
	a.printf("profile %q deleted\n", pos[0])
	return nil
}
