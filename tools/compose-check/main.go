// compose-check loads Compose files the way `docker compose config` does and prints the
// normalized project as JSON, so the repository's docker-compose.yml is checked by the real
// Compose implementation (compose-go, the library inside `docker compose`) where no Docker
// engine or compose plugin is available.
//
//	compose-check FILE [OVERRIDE...]
//
// Exit status 0 and the project on stdout; when the files do not load, the loader's message on
// stderr and exit status 1 (2 for a usage error). Warnings, such as an obsolete `version:`, go to
// stderr as in `docker compose`, with exit status 0. Like `docker compose`, the process
// environment and then a .env beside the first file supply the variables.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE [OVERRIDE...]")
		os.Exit(2)
	}
	out, err := load(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}

func load(files []string) ([]byte, error) {
	// The option chain of docker/compose's ProjectOptions.toProjectOptions followed by the
	// `config` command's own options (cmd/compose/compose.go and config.go). The project
	// directory is the first file's directory, as without --project-directory.
	options := []cli.ProjectOptionsFn{
		// The process environment is read first and wins over .env, as in `docker compose`.
		cli.WithOsEnv,
	}
	if _, set := os.LookupEnv("PWD"); !set {
		// docker compose sets PWD when the shell did not, so `${PWD}` always interpolates.
		if pwd, err := os.Getwd(); err == nil {
			options = append(options, cli.WithEnv([]string{"PWD=" + pwd}))
		}
	}
	options = append(options,
		// The project directory's .env, if there is one, fills in what the environment lacks.
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		// COMPOSE_PROFILES, when set, enables profiles; otherwise only services without one.
		cli.WithDefaultProfiles(),
		// `docker compose config` with no flags: `${VAR:-default}` and `$$` interpolated, the
		// model checked against the Compose specification's JSON schema (unknown keys fail),
		// normalized (short syntax expanded, `<<` merge keys applied), relative paths made
		// absolute, and consistency checked (depends_on on an unknown service, a dependency
		// cycle, an undefined network or volume all fail).
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
		cli.WithDiscardEnvFile,
	)
	projectOptions, err := cli.NewProjectOptions(files, options...)
	if err != nil {
		return nil, err
	}
	project, err := projectOptions.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	// What runConfigInterpolate does after loading: env_file merged into environment, and
	// container names checked for uniqueness.
	project, err = project.WithServicesEnvironmentResolved(true)
	if err != nil {
		return nil, err
	}
	if err := project.CheckContainerNameUnicity(); err != nil {
		return nil, err
	}
	// Unlike `docker compose config`, `$` is not escaped back to `$$` in the output: the
	// values printed are the ones containers receive, which is what the tests assert on.
	return project.MarshalJSON()
}
