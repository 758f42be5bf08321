using Microsoft.EntityFrameworkCore;

namespace Secrets.Server.Data;

/// <summary>
/// The one model of the server. Each provider has its own subclass so that each gets its own generated
/// migrations (SQLite and PostgreSQL differ in types and DDL); the model itself is shared.
/// </summary>
internal abstract class SecretsDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<RoleEntity> Roles => Set<RoleEntity>();
    public DbSet<ResourceEntity> Resources => Set<ResourceEntity>();
    public DbSet<RoleMembershipEntity> RoleMemberships => Set<RoleMembershipEntity>();
    public DbSet<PermissionEntity> Permissions => Set<PermissionEntity>();
    public DbSet<AnnotationEntity> Annotations => Set<AnnotationEntity>();
    public DbSet<CredentialEntity> Credentials => Set<CredentialEntity>();
    public DbSet<SecretEntity> Secrets => Set<SecretEntity>();
    public DbSet<PolicyVersionEntity> PolicyVersions => Set<PolicyVersionEntity>();
    public DbSet<HostFactoryTokenEntity> HostFactoryTokens => Set<HostFactoryTokenEntity>();
    public DbSet<SigningKeyEntity> SigningKeys => Set<SigningKeyEntity>();
    public DbSet<AuthenticatorConfigEntity> AuthenticatorConfigs => Set<AuthenticatorConfigEntity>();
    public DbSet<ServerStateEntity> ServerState => Set<ServerStateEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RoleEntity>(e =>
        {
            e.ToTable("roles");
            e.HasKey(x => x.RoleId);
            e.Property(x => x.RoleId).HasColumnName("role_id");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.PolicyId).HasColumnName("policy_id");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasIndex(x => x.Account);
        });

        modelBuilder.Entity<ResourceEntity>(e =>
        {
            e.ToTable("resources");
            e.HasKey(x => x.ResourceId);
            e.Property(x => x.ResourceId).HasColumnName("resource_id");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.Kind).HasColumnName("kind");
            e.Property(x => x.OwnerId).HasColumnName("owner_id");
            e.Property(x => x.PolicyId).HasColumnName("policy_id");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasIndex(x => new { x.Account, x.Kind });
            e.HasIndex(x => x.OwnerId);
            // Deleting a role deletes what it owns (Conjur's owner_id foreign key cascades too).
            e.HasOne<RoleEntity>().WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RoleMembershipEntity>(e =>
        {
            e.ToTable("role_memberships");
            e.HasKey(x => new { x.RoleId, x.MemberId });
            e.Property(x => x.RoleId).HasColumnName("role_id");
            e.Property(x => x.MemberId).HasColumnName("member_id");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.AdminOption).HasColumnName("admin_option");
            e.Property(x => x.PolicyId).HasColumnName("policy_id");
            e.HasIndex(x => x.MemberId);
            e.HasIndex(x => x.Account);
            e.HasOne<RoleEntity>().WithMany().HasForeignKey(x => x.RoleId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<RoleEntity>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<PermissionEntity>(e =>
        {
            e.ToTable("permissions");
            e.HasKey(x => new { x.ResourceId, x.Privilege, x.RoleId });
            e.Property(x => x.ResourceId).HasColumnName("resource_id");
            e.Property(x => x.Privilege).HasColumnName("privilege");
            e.Property(x => x.RoleId).HasColumnName("role_id");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.PolicyId).HasColumnName("policy_id");
            e.HasIndex(x => x.RoleId);
            e.HasIndex(x => x.Account);
            e.HasOne<ResourceEntity>().WithMany().HasForeignKey(x => x.ResourceId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<RoleEntity>().WithMany().HasForeignKey(x => x.RoleId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AnnotationEntity>(e =>
        {
            e.ToTable("annotations");
            e.HasKey(x => new { x.ResourceId, x.Name });
            e.Property(x => x.ResourceId).HasColumnName("resource_id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Value).HasColumnName("value");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.PolicyId).HasColumnName("policy_id");
            e.HasIndex(x => x.Account);
            e.HasOne<ResourceEntity>().WithMany().HasForeignKey(x => x.ResourceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CredentialEntity>(e =>
        {
            e.ToTable("credentials");
            e.HasKey(x => x.RoleId);
            e.Property(x => x.RoleId).HasColumnName("role_id");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.ApiKeyHash).HasColumnName("api_key_hash");
            e.Property(x => x.ApiKeySeed).HasColumnName("api_key_seed");
            e.Property(x => x.EncryptedPasswordHash).HasColumnName("encrypted_hash");
            e.Property(x => x.Expiration).HasColumnName("expiration");
            e.Property(x => x.RestrictedTo).HasColumnName("restricted_to");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.HasOne<RoleEntity>().WithMany().HasForeignKey(x => x.RoleId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SecretEntity>(e =>
        {
            e.ToTable("secrets");
            e.HasKey(x => new { x.ResourceId, x.Version });
            e.Property(x => x.ResourceId).HasColumnName("resource_id");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.Value).HasColumnName("value");
            e.Property(x => x.ExpiresAt).HasColumnName("expires_at");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasOne<ResourceEntity>().WithMany().HasForeignKey(x => x.ResourceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<PolicyVersionEntity>(e =>
        {
            e.ToTable("policy_versions");
            e.HasKey(x => new { x.ResourceId, x.Version });
            e.Property(x => x.ResourceId).HasColumnName("resource_id");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.RoleId).HasColumnName("role_id");
            e.Property(x => x.PolicyText).HasColumnName("policy_text");
            e.Property(x => x.PolicySha256).HasColumnName("policy_sha256");
            e.Property(x => x.ClientIp).HasColumnName("client_ip");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.HasOne<ResourceEntity>().WithMany().HasForeignKey(x => x.ResourceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<HostFactoryTokenEntity>(e =>
        {
            e.ToTable("host_factory_tokens");
            e.HasKey(x => x.TokenSha256);
            e.Property(x => x.TokenSha256).HasColumnName("token_sha256");
            e.Property(x => x.Token).HasColumnName("token");
            e.Property(x => x.ResourceId).HasColumnName("resource_id");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.Cidr).HasColumnName("cidr");
            e.Property(x => x.Expiration).HasColumnName("expiration");
            e.HasIndex(x => x.ResourceId);
            e.HasOne<ResourceEntity>().WithMany().HasForeignKey(x => x.ResourceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SigningKeyEntity>(e =>
        {
            e.ToTable("signing_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Account).HasColumnName("account");
            e.Property(x => x.PrivateKey).HasColumnName("private_key");
            e.Property(x => x.Fingerprint).HasColumnName("fingerprint");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasIndex(x => x.Fingerprint).IsUnique();
            e.HasIndex(x => x.Account).IsUnique();
        });

        modelBuilder.Entity<AuthenticatorConfigEntity>(e =>
        {
            e.ToTable("authenticator_configs");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.ResourceId).HasColumnName("resource_id");
            e.Property(x => x.Enabled).HasColumnName("enabled");
            e.HasIndex(x => x.ResourceId).IsUnique();
            e.HasOne<ResourceEntity>().WithMany().HasForeignKey(x => x.ResourceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ServerStateEntity>(e =>
        {
            e.ToTable("server_state");
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasColumnName("key");
            e.Property(x => x.Blob).HasColumnName("blob");
            e.Property(x => x.Number).HasColumnName("number");
        });
    }
}

internal sealed class SqliteSecretsDbContext(DbContextOptions<SqliteSecretsDbContext> options) : SecretsDbContext(options);

internal sealed class PostgresSecretsDbContext(DbContextOptions<PostgresSecretsDbContext> options) : SecretsDbContext(options);
