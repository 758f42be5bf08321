using System.Text;

namespace Secrets.Cli.Configuration;

/// <summary>
/// Reads and edits <c>~/.netrc</c> the way the Conjur CLI uses it: one entry per appliance with
/// <c>machine &lt;appliance_url&gt;/authn</c>, <c>login &lt;login&gt;</c>, <c>password &lt;API key&gt;</c>.
/// Entries for other machines (and <c>macdef</c> blocks) are kept byte for byte.
/// </summary>
internal static class Netrc
{
    public static NetrcEntry? Find(string text, string machine) =>
        Parse(text).FirstOrDefault(e => e.Machine == machine) is { } span ? new NetrcEntry(span.Machine!, span.Login, span.Password) : null;

    /// <summary>Replaces the first entry for <paramref name="machine"/> (dropping duplicates) or appends one.</summary>
    public static string Upsert(string text, string machine, string login, string password)
    {
        foreach (var value in new[] { machine, login, password })
        {
            if (value.Length == 0 || value.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException("netrc values may not be empty or contain whitespace.");
            }
        }

        var entry = $"machine {machine}\n  login {login}\n  password {password}\n";
        var spans = Parse(text);
        var builder = new StringBuilder();
        var position = 0;
        var written = false;
        foreach (var span in spans.Where(s => s.Machine == machine))
        {
            builder.Append(text, position, span.Start - position);
            if (!written)
            {
                builder.Append(entry);
                written = true;
            }

            position = span.End;
        }

        builder.Append(text, position, text.Length - position);
        if (!written)
        {
            if (builder.Length > 0 && builder[^1] != '\n')
            {
                builder.Append('\n');
            }

            builder.Append(entry);
        }

        return builder.ToString();
    }

    /// <summary>Removes every entry for <paramref name="machine"/>.</summary>
    public static string Remove(string text, string machine)
    {
        var builder = new StringBuilder();
        var position = 0;
        foreach (var span in Parse(text).Where(s => s.Machine == machine))
        {
            builder.Append(text, position, span.Start - position);
            position = span.End;
        }

        builder.Append(text, position, text.Length - position);
        return builder.ToString();
    }

    /// <summary>
    /// Splits the text into entries. An entry starts at a <c>machine</c> or <c>default</c> token and runs to the start
    /// of the next one; a <c>macdef</c> body runs to the next empty line and is never scanned for tokens.
    /// </summary>
    private static List<EntrySpan> Parse(string text)
    {
        var spans = new List<EntrySpan>();
        EntrySpan? current = null;
        var index = 0;
        while (NextToken(text, ref index) is { } token)
        {
            switch (token.Value)
            {
                case "machine":
                case "default":
                    if (current is not null)
                    {
                        spans.Add(current with { End = token.Start });
                    }

                    current = new EntrySpan(token.Start, text.Length, null, null, null);
                    if (token.Value == "machine")
                    {
                        current = current with { Machine = NextToken(text, ref index)?.Value };
                    }

                    break;
                case "login":
                    var login = NextToken(text, ref index)?.Value;
                    if (current is not null)
                    {
                        current = current with { Login = login };
                    }

                    break;
                case "password":
                    var password = NextToken(text, ref index)?.Value;
                    if (current is not null)
                    {
                        current = current with { Password = password };
                    }

                    break;
                case "account":
                    NextToken(text, ref index);
                    break;
                case "macdef":
                    NextToken(text, ref index);
                    var end = text.IndexOf("\n\n", index, StringComparison.Ordinal);
                    index = end < 0 ? text.Length : end + 2;
                    break;
            }
        }

        if (current is not null)
        {
            spans.Add(current with { End = text.Length });
        }

        return spans;
    }

    private static Token? NextToken(string text, ref int index)
    {
        while (index < text.Length)
        {
            if (text[index] == '#' && (index == 0 || text[index - 1] == '\n'))
            {
                // A comment line.
                var newline = text.IndexOf('\n', index);
                index = newline < 0 ? text.Length : newline + 1;
                continue;
            }

            if (!char.IsWhiteSpace(text[index]))
            {
                break;
            }

            index++;
        }

        if (index >= text.Length)
        {
            return null;
        }

        var start = index;
        if (text[index] == '"')
        {
            var value = new StringBuilder();
            index++;
            while (index < text.Length && text[index] != '"')
            {
                if (text[index] == '\\' && index + 1 < text.Length)
                {
                    index++;
                }

                value.Append(text[index]);
                index++;
            }

            index = Math.Min(index + 1, text.Length);
            return new Token(start, value.ToString());
        }

        while (index < text.Length && !char.IsWhiteSpace(text[index]))
        {
            index++;
        }

        return new Token(start, text[start..index]);
    }

    private sealed record Token(int Start, string Value);

    private sealed record EntrySpan(int Start, int End, string? Machine, string? Login, string? Password);
}

/// <summary>One machine entry of a netrc file.</summary>
internal sealed record NetrcEntry(string Machine, string? Login, string? Password)
{
    public override string ToString() => $"NetrcEntry({Machine}, {Login})";
}
