# Evaluates a GITLAB_OMNIBUS_CONFIG the way gitlab.rb is read (plain Ruby with
# top-level setting hashes and *_external_url calls) and prints the settings as JSON.
# Stand-in for Omnibus's DSL: nested hashes spring into existence when assigned into.
require 'json'

class Settings < Hash
  def initialize
    super { |hash, key| hash[key] = Settings.new }
  end
end

ROOTS = Hash.new { |hash, key| hash[key] = Settings.new }

%w[
  gitlab_rails gitlab_pages registry letsencrypt nginx puma sidekiq gitaly
  prometheus_monitoring gitlab_workhorse gitlab_shell postgresql redis
].each { |name| define_method(name) { ROOTS[name] } }

%w[external_url registry_external_url pages_external_url].each do |name|
  define_method(name) { |url| ROOTS[name] = url }
end

eval(File.read(ARGV.fetch(0)), binding, ARGV.fetch(0))
puts JSON.generate(ROOTS)
