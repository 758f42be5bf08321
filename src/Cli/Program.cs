using System.Collections;
using System.Text;
using Secrets.Cli;

// The process entry point only gathers the real console, environment and home directory; everything else is
// CliApp, which tests run in-process with their own.
var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
{
    environment[(string)variable.Key] = variable.Value as string;
}

var home = environment.GetValueOrDefault("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
await using var stdout = Console.OpenStandardOutput();
await using var stdin = Console.OpenStandardInput();
var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
var host = new CliHost
{
    Stdout = stdout,
    Stderr = stderr,
    Stdin = stdin,
    Environment = environment,
    Home = home,
    StdinIsTerminal = !Console.IsInputRedirected,
    StdoutIsTerminal = !Console.IsOutputRedirected,
    StderrIsTerminal = !Console.IsErrorRedirected,
    ReadSecretFromTerminal = Console.IsInputRedirected ? null : ReadWithoutEcho,
};
return await CliApp.RunAsync(args, host);

// Reads a line from the terminal without echoing it (passwords).
static string? ReadWithoutEcho(string prompt)
{
    Console.Error.Write(prompt);
    var text = new StringBuilder();
    while (true)
    {
        var key = Console.ReadKey(intercept: true);
        if (key.Key == ConsoleKey.Enter)
        {
            Console.Error.WriteLine();
            return text.ToString();
        }

        if (key.Key == ConsoleKey.Backspace)
        {
            if (text.Length > 0)
            {
                text.Length--;
            }
        }
        else if (!char.IsControl(key.KeyChar))
        {
            text.Append(key.KeyChar);
        }
    }
}
