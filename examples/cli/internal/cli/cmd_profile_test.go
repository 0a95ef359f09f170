package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfiles(t *testing.T) {
	t.Parallel()
	fe := newFake(t)
	// Only the config location in the environment: the credentials come
	// from flags when saving and from the profile afterwards.
	base := map[string]string{"XDG_CONFIG_HOME": fe.config}
	flags := []string{"--client-id", fe.sa.ClientID, "--client-secret", fe.sa.ClientSecret, "--service-account", fe.sa.ServiceAccountID,
		"--key", fe.keyFile, "--bot-id", "2000001", "--api-url", fe.fake.APIURL, "--auth-url", fe.fake.TokenURL}
	r := run(t, base, "", append([]string{"profile", "save", "dev"}, flags...)...).want(t, ExitOK)
	golden(t, "profile_save", fe.normalize(r.stdout, fe.config, "CONFIG"))

	path := filepath.Join(fe.config, "uketsuke", "profiles.json")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile file: %v %v", fi, err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "PRIVATE KEY") || !strings.Contains(string(data), fe.keyFile) {
		t.Errorf("the profile must hold the key's path, not the key:\n%s", data)
	}

	run(t, base, "", "token").want(t, ExitFailure) // no profile selected, no "default"
	run(t, base, "", "token", "--profile", "dev").want(t, ExitOK)
	run(t, map[string]string{"XDG_CONFIG_HOME": fe.config, EnvProfile: "dev"}, "", "send", "--channel", "channel-1", "--text", "via profile").want(t, ExitOK)
	r = run(t, base, "", "token", "--profile", "nope").want(t, ExitFailure)
	if !strings.Contains(r.stderr, `no profile "nope"`) {
		t.Errorf("stderr: %q", r.stderr)
	}

	// Precedence: flags > environment > profile.
	withEnv := map[string]string{"XDG_CONFIG_HOME": fe.config, EnvClientSecret: "wrong-from-env"}
	run(t, withEnv, "", "token", "--profile", "dev").want(t, ExitFailure)
	run(t, withEnv, "", "token", "--profile", "dev", "--client-secret", fe.sa.ClientSecret).want(t, ExitOK)

	// "default" is used without --profile.
	run(t, base, "", append([]string{"profile", "save", "default"}, flags...)...).want(t, ExitOK)
	run(t, base, "", "token").want(t, ExitOK)
	r = run(t, base, "", "profile", "list").want(t, ExitOK)
	golden(t, "profile_list", fe.normalize(r.stdout))
	run(t, base, "", "profile", "delete", "default").want(t, ExitOK)
	run(t, base, "", "token").want(t, ExitFailure)
}
