using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using Function;
using SessionConnector;
using SessionConnector.Sealing;
using SessionConnector.Storage;

// A serverless function as one process per invocation: an HTTP event as JSON on stdin, the response as JSON on stdout.
//   in:  {"method":"POST","path":"/visit","headers":{"cookie":"visit=..."}}
//   out: {"statusCode":200,"cookies":["visit=...; Path=/; Secure; HttpOnly; SameSite=Lax"],"body":"visits 3"}
// Paths: /visit counts, /logout signs out. FUNCTION_SESSIONS picks where the session lives:
//   sealed (default)  in the cookie itself, no storage I/O (FUNCTION_STORE=dir adds a store: logouts then hold)
//   file              a file store in FUNCTION_STORE (the cookie holds only the ID)
//   off               no session (the baseline of the start-up figures)
//   crypto            no session, but the crypto library loaded and one AES-GCM call (the floor under the other two)
// Keys come from SESSIONCONNECTOR_KEYS; without them the function refuses to run (fails closed).

string mode = Environment.GetEnvironmentVariable("FUNCTION_SESSIONS") ?? "sealed";
string? storeDir = Environment.GetEnvironmentVariable("FUNCTION_STORE");

using JsonDocument request = JsonDocument.Parse(Console.OpenStandardInput());
string path = request.RootElement.TryGetProperty("path", out JsonElement p) ? p.GetString() ?? "/" : "/";
string? cookieHeader = null;
if (request.RootElement.TryGetProperty("headers", out JsonElement headers) && headers.ValueKind == JsonValueKind.Object)
{
    foreach (JsonProperty h in headers.EnumerateObject())
    {
        if (h.Name.Equals("cookie", StringComparison.OrdinalIgnoreCase)) cookieHeader = h.Value.GetString();
    }
}

if (mode == "off")
{
    Respond(200, [], "visits 1");
    return 0;
}

if (mode == "crypto")
{
    // Figures only: the crypto library's load and one AES-GCM call, no session, the floor under "sealed" and "file".
    using var gcm = new System.Security.Cryptography.AesGcm(new byte[32], 16);
    byte[] one = new byte[1], tag = new byte[16];
    gcm.Encrypt(new byte[12], one, one, tag);
    Respond(200, [], "visits 1");
    return 0;
}

using SessionKeyRing? keys = SessionKeyRing.FromEnvironment();
if (keys is null)
{
    Console.Error.WriteLine("Set SESSIONCONNECTOR_KEYS (e.g. 1:$(openssl rand -base64 32)); the function does not run without a key.");
    return 2;
}

if (mode == "file")
{
    if (storeDir is null)
    {
        Console.Error.WriteLine("FUNCTION_SESSIONS=file needs FUNCTION_STORE (a directory).");
        return 2;
    }

    using var connector = new SessionStorageConnector(new FileSessionStorage(storeDir, FileDurability.ProcessCrash), new SessionConnectorOptions { Keys = keys });
    string? id = CookieValue(cookieHeader, "sid");
    if (!SessionIds.IsValid(id)) id = null;
    if (path == "/logout")
    {
        if (id is not null) connector.Delete(id);
        Respond(200, ["sid=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax"], "signed out");
        return 0;
    }

    Visits visits = (id is null ? null : connector.Get<Visits>(id)) ?? new Visits();
    bool fresh = id is null || visits.Count == 0;
    id = fresh ? SessionStorageConnector.GenerateId() : id!;
    visits.Count++;
    connector.Set(id, visits, TimeSpan.FromHours(8));
    Respond(200, fresh ? [$"sid={id}; Path=/; Secure; HttpOnly; SameSite=Lax"] : [], $"visits {visits.Count}");
    return 0;
}

using SessionStorageConnector? store = storeDir is null
    ? null
    : new SessionStorageConnector(new FileSessionStorage(storeDir, FileDurability.ProcessCrash), new SessionConnectorOptions { Keys = keys });
using var sealer = new SessionSealer(new SessionSealerOptions
{
    Keys = keys,
    Purpose = "samples/function/visits",
    CookieName = "visit",
    Lifetime = TimeSpan.FromHours(8),
    IdleTimeout = TimeSpan.FromMinutes(30),
    Store = store,
});

SealedSession<Visits> session = sealer.Open<Visits>(cookieHeader);
if (path == "/logout")
{
    Respond(200, Headers(sealer.SignOut(session)), "signed out");
    return 0;
}

session.Data.Count++;
Respond(200, Headers(sealer.Seal(session)), $"visits {session.Data.Count}");
return 0;

static string? CookieValue(string? header, string name)
{
    if (header is null) return null;
    foreach (string part in header.Split(';'))
    {
        string pair = part.Trim();
        if (pair.StartsWith(name + "=", StringComparison.Ordinal)) return pair[(name.Length + 1)..];
    }

    return null;
}

static IEnumerable<string> Headers(IReadOnlyList<SealedCookie> cookies)
{
    foreach (SealedCookie c in cookies) yield return c.SetCookieHeader;
}

static void Respond(int status, IEnumerable<string> cookies, string body)
{
    using Stream stdout = Console.OpenStandardOutput();
    using var json = new Utf8JsonWriter(stdout);
    json.WriteStartObject();
    json.WriteNumber("statusCode", status);
    json.WriteStartArray("cookies");
    foreach (string c in cookies) json.WriteStringValue(c);
    json.WriteEndArray();
    json.WriteString("body", body);
    json.WriteEndObject();
    json.Flush();
    stdout.WriteByte((byte)'\n');
}
