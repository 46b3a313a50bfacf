package dev.peerid.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "completion", mixinStandardHelpOptions = true, versionProvider = PeeridVersion.class,
    description = {"Prints a completion script for bash or zsh.",
        "bash: source <(peerid completion)",
        "zsh:  autoload -U +X compinit && compinit; source <(peerid completion zsh)"})
final class CompletionCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "SHELL", arity = "0..1", defaultValue = "bash",
      description = "bash or zsh (one script serves both: zsh runs it through bashcompinit).")
  String shell;

  @Override
  public Integer call() throws UsageException {
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      throw new UsageException("completion: unknown shell '" + shell + "' (expected bash or zsh)");
    }
    String script = AutoComplete.bash("peerid", spec.root().commandLine());
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return PeeridCli.ALLOWED;
  }
}
