using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SessionConnector.Serialization;

namespace SessionConnector.Sealing;

/// <summary>
/// Sealed-cookie sessions: the whole session encrypted into the cookie (AES-256-GCM envelopes of the same format and key
/// ring as stored records), bound to the cookie name and an application purpose, with its own cookie id and its absolute
/// and idle expiry in the authenticated data. For hosts without a store (serverless functions, edge handlers): open from
/// the <c>Cookie</c> header, mutate, seal into <c>Set-Cookie</c> headers. See docs/sealed.md.
/// </summary>
/// <remarks>
/// <para>Sizes are honest: each cookie's whole <c>Set-Cookie</c> line stays within <see cref="SessionSealerOptions.MaxCookieBytes"/>;
/// a larger session is split over up to <see cref="SessionSealerOptions.MaxChunks"/> cookies, and beyond that it spills
/// to the configured store or the seal throws <see cref="SessionCookieTooLargeException"/>. Never a cookie a browser drops.</para>
/// <para>A logout holds only with a store: then a sign-out records the cookie id until the cookie would have expired and
/// a replayed copy is refused. Without one, a copied cookie stays valid until it expires, as with every sealed-cookie
/// library: keep lifetimes short.</para>
/// <para>Two requests that change one sealed session race in the browser: the last response's cookie wins. Use a store
/// (<see cref="SessionStore{T}"/>) where concurrent changes must merge. All members are thread-safe.</para>
/// </remarks>
public sealed partial class SessionSealer : IDisposable
{
    // Kept apart from session IDs (which never contain ':'): a revocation or spill record cannot be a session's record.
    private const string RevokedPrefix = "sealed-revoked.";

    private static readonly IReadOnlyList<SealedCookie> NoCookies = Array.Empty<SealedCookie>();

    // The sealer's own cipher state over the application's ring, used through the shared record pipeline.
    private readonly Protection.SessionProtector _protector;
    private readonly Records.RecordPipeline _records;
    private readonly SealedMetrics _metrics;
    private readonly SessionStorageConnector? _store;
    private readonly TimeProvider _time;
    private readonly string _name;
    private readonly string _purpose;
    private readonly TimeSpan _lifetime;
    private readonly TimeSpan? _idle;
    private readonly SessionFormat _format;
    private readonly int _maxChunks;
    private readonly bool _persistent;
    private readonly string _attributes;
    private readonly int _capacity;

    /// <summary>Creates a sealer.</summary>
    /// <exception cref="ArgumentException">No key ring or purpose, or settings that contradict each other; the message says which.</exception>
    public SessionSealer(SessionSealerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _time = options.TimeProvider ?? TimeProvider.System;
        _name = options.CookieName;
        _purpose = options.Purpose!;
        _lifetime = options.Lifetime!.Value;
        _idle = options.IdleTimeout;
        _format = options.Format;
        _maxChunks = options.MaxChunks;
        _persistent = options.Persistent;
        _store = options.Store;
        _attributes = Attributes(options);

        // The room one chunk leaves for sealed text: the whole Set-Cookie line of the longest chunk name, its index
        // prefix and the longest Max-Age (ten digits) must fit in the budget.
        int overhead = ChunkName(_maxChunks - 1).Length + 1 + SealedCookieChunks.PrefixLength(_maxChunks - 1, _maxChunks)
            + (_persistent ? "; Max-Age=".Length + 10 : 0) + _attributes.Length;
        _capacity = options.MaxCookieBytes - overhead;
        if (_capacity < 256)
        {
            throw new ArgumentException($"MaxCookieBytes ({options.MaxCookieBytes}) leaves {_capacity} bytes for the sealed session after the name and attributes; allow at least 256.", nameof(options));
        }

        _protector = new Protection.SessionProtector(options.Keys!, _time);
        _records = new Records.RecordPipeline(_protector);
        _metrics = new SealedMetrics(options.MeterFactory, options.Observer);
    }

    /// <summary>The cookie name (chunk N &gt; 0 is <c>name.N</c>).</summary>
    public string CookieName => _name;

    /// <summary>The purpose every cookie is bound to.</summary>
    public string Purpose => _purpose;

    /// <summary>True when a store is configured: sign-outs hold, renewals retire the old cookie, large sessions spill.</summary>
    public bool HasStore => _store is not null;

    /// <summary>How many sealed-text bytes one cookie carries at most under the budget (for capacity planning).</summary>
    public int ChunkCapacity => _capacity;

    /// <summary>The meter that carries the sealer's metrics (<c>sessionconnector.sealed.*</c>).</summary>
    public System.Diagnostics.Metrics.Meter Meter => _metrics.Meter;

    /// <summary>
    /// Starts a new encryption epoch (a fresh salt, subkey and nonce counter). Call it first thing after this process was
    /// restored from a memory snapshot (a serverless snapshot start, CRIU, a cloned VM): every copy restored from one
    /// snapshot would otherwise continue the same nonce counter. A wall-clock jump against the monotonic clock starts a new
    /// epoch automatically; this covers restores that keep both clocks in step (docs/envelope-format.md).
    /// </summary>
    public void StartNewEncryptionEpoch() => _protector.StartNewEpoch();

    /// <summary>Releases the sealer's cipher state and meter (the key ring and the store stay the caller's).</summary>
    public void Dispose()
    {
        _protector.Dispose();
        _metrics.Dispose();
    }

    private string ChunkName(int index) => SealedCookieChunks.ChunkName(_name, index);

    private static string RevokedId(byte[] cookieId) => RevokedPrefix + Internal.Base64Url.Encode(cookieId);

    private static byte[] NewCookieId() => RandomNumberGenerator.GetBytes(SealedCookieFormat.CookieIdSize);

    private SealedCookie Cookie(string name, string value, TimeSpan? maxAge)
    {
        string header = maxAge is { } age
            ? string.Create(CultureInfo.InvariantCulture, $"{name}={value}; Max-Age={MaxAgeSeconds(age)}{_attributes}")
            : string.Concat(name, "=", value, _attributes);
        return new SealedCookie(name, value, isDeletion: false, header);
    }

    // Browsers cap Max-Age at 400 days (RFC 6265bis); capping here also keeps it within the digits the budget reserved.
    private static long MaxAgeSeconds(TimeSpan age) => (long)Math.Clamp(Math.Ceiling(age.TotalSeconds), 1, 400 * 86400);

    private SealedCookie Deletion(string name) =>
        new(name, string.Empty, isDeletion: true, name + "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT" + _attributes);

    private static string Attributes(SessionSealerOptions o)
    {
        var b = new StringBuilder();
        b.Append("; Path=").Append(o.Path);
        if (o.Domain is not null) b.Append("; Domain=").Append(o.Domain);
        if (o.Secure) b.Append("; Secure");
        // Always HttpOnly: script never needs the sealed session, and an XSS bug must not be able to copy it.
        b.Append("; HttpOnly; SameSite=").Append(o.SameSite);
        return b.ToString();
    }

    private static void Validate(SessionSealerOptions o)
    {
        const string param = "options";
        if (o.Keys is null)
        {
            throw new ArgumentException("SessionSealerOptions.Keys is required: sealed cookies are encrypted with the application's key ring (the same as stored sessions).", param);
        }

        if (string.IsNullOrEmpty(o.Purpose)) throw new ArgumentException("SessionSealerOptions.Purpose is required (e.g. \"shop/cart\"): it binds cookies to this use.", param);
        if (string.IsNullOrEmpty(o.CookieName)) throw new ArgumentException("The cookie name is empty.", param);
        foreach (char c in o.CookieName)
        {
            if (c <= 0x20 || c >= 0x7F || "()<>@,;:\\\"/[]?={}".Contains(c))
            {
                throw new ArgumentException($"The cookie name '{o.CookieName}' contains '{c}', which a cookie name cannot contain.", param);
            }
        }

        if (o.Lifetime is not { } life || life <= TimeSpan.Zero)
        {
            throw new ArgumentException("SessionSealerOptions.Lifetime must be set and positive: a sealed cookie without an expiry cannot be taken back.", param);
        }

        if (o.IdleTimeout is { } idle && idle <= TimeSpan.Zero) throw new ArgumentException("IdleTimeout must be positive.", param);
        if (o.MaxCookieBytes is < 512 or > SessionSealerOptions.BrowserCookieLimit)
        {
            throw new ArgumentException($"MaxCookieBytes must be between 512 and {SessionSealerOptions.BrowserCookieLimit} (browsers drop larger cookies).", param);
        }

        if (o.MaxChunks is < 1 or > SealedCookieChunks.MaxChunksLimit) throw new ArgumentException($"MaxChunks must be between 1 and {SealedCookieChunks.MaxChunksLimit}.", param);
        if (o.SameSite is not ("Lax" or "Strict" or "None")) throw new ArgumentException("SameSite must be Lax, Strict or None.", param);
        if (o.SameSite == "None" && !o.Secure) throw new ArgumentException("SameSite=None requires a Secure cookie; browsers reject it otherwise.", param);
        if (string.IsNullOrEmpty(o.Path) || o.Path[0] != '/' || !IsAttributeValue(o.Path)) throw new ArgumentException("The cookie path must start with '/' and hold no ';' or control characters.", param);
        if (o.Domain is not null && (o.Domain.Length == 0 || !IsAttributeValue(o.Domain))) throw new ArgumentException("The cookie domain holds ';' or control characters.", param);
        if (o.CookieName.StartsWith("__Host-", StringComparison.Ordinal) && (!o.Secure || o.Domain is not null || o.Path != "/"))
        {
            throw new ArgumentException("A __Host- cookie must be Secure, have no Domain and have Path \"/\"; browsers drop it otherwise.", param);
        }

        if (o.Format is not (SessionFormat.MessagePack or SessionFormat.Json)) throw new ArgumentException("Unknown session format.", param);
        if (o.Format == SessionFormat.Json && !JsonFormatFeature.IsSupported)
        {
            throw new ArgumentException("SessionFormat.Json was chosen, but this app disables it with the SessionConnector.JsonFormat.IsSupported switch.", param);
        }
    }

    private static bool IsAttributeValue(string value)
    {
        foreach (char c in value)
        {
            if (c < 0x20 || c >= 0x7F || c == ';') return false;
        }

        return true;
    }
}
