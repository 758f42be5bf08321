using System.Text.Json;

namespace Secrets.Cli.Output;

/// <summary>
/// The readable report of <c>policy … --dry-run</c>: what would be created, updated (with the fields that change)
/// and deleted, from the server's dry-run JSON (spec §2.5).
/// </summary>
internal static class DryRunSummary
{
    public static void Write(TextWriter writer, string branch, string mode, JsonElement result)
    {
        var status = result.TryGetProperty("status", out var s) ? s.GetString() : null;
        writer.WriteLine($"Dry run of policy {mode} into '{branch}': {status ?? "done"}. Nothing was changed.");
        var created = Items(result, "created");
        var deleted = Items(result, "deleted");
        var before = Items(result, "updated", "before");
        var after = Items(result, "updated", "after");

        Section(writer, "create", created.Select(i => (Type(i), Identifier(i), "")).ToList());
        var updates = after.Select(item =>
        {
            var id = Identifier(item);
            var previous = before.FirstOrDefault(b => Identifier(b) == id);
            var changed = previous.ValueKind == JsonValueKind.Object ? ChangedFields(previous, item) : [];
            return (Type(item), id, changed.Count > 0 ? $"  ({string.Join(", ", changed)})" : "");
        }).ToList();
        Section(writer, "update", updates);
        Section(writer, "delete", deleted.Select(i => (Type(i), Identifier(i), "")).ToList());
    }

    private static void Section(TextWriter writer, string verb, List<(string Type, string Id, string Note)> rows)
    {
        if (rows.Count == 0)
        {
            writer.WriteLine($"Would {verb}: nothing");
            return;
        }

        writer.WriteLine($"Would {verb} ({rows.Count}):");
        var width = rows.Max(r => r.Type.Length);
        foreach (var (type, id, note) in rows)
        {
            writer.WriteLine($"  {type.PadRight(width)}  {id}{note}");
        }
    }

    private static List<JsonElement> Items(JsonElement root, params string[] path)
    {
        var current = root;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return [];
            }
        }

        return current.ValueKind == JsonValueKind.Object && current.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array
            ? items.EnumerateArray().ToList()
            : [];
    }

    private static List<string> ChangedFields(JsonElement before, JsonElement after) =>
        after.EnumerateObject()
            .Where(p => !before.TryGetProperty(p.Name, out var old) || !JsonElement.DeepEquals(old, p.Value))
            .Select(p => p.Name)
            .Concat(before.EnumerateObject().Where(p => !after.TryGetProperty(p.Name, out _)).Select(p => p.Name))
            .ToList();

    private static string Identifier(JsonElement item) => Text(item, "identifier") ?? Text(item, "id") ?? "?";

    private static string Type(JsonElement item) => Text(item, "type") ?? "?";

    private static string? Text(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
