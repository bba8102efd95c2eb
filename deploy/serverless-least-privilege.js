'use strict';
/**
 * Finishes what serverless-iam-roles-per-function starts: once every function has a role of its own, the shared
 * IamRoleLambdaExecution osls still generates (its logs statements for every function, and the kafka/ec2
 * statements osls adds for `msk` events) is attached to nothing. A role that nothing assumes grants nothing, but it
 * reads as if it did; it is removed, so that the template's roles are exactly the functions'. It must be listed
 * after serverless-iam-roles-per-function (both run before package:finalize, in plugin order).
 */
const SHARED_ROLE = 'IamRoleLambdaExecution';

function referencesRole(value) {
  if (Array.isArray(value)) return value.some(referencesRole);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value['Fn::GetAtt']) && value['Fn::GetAtt'][0] === SHARED_ROLE) return true;
  if (value.Ref === SHARED_ROLE) return true;
  return Object.values(value).some(referencesRole);
}

class LeastPrivilege {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.pruneSharedRole() };
  }

  pruneSharedRole() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    if (resources[SHARED_ROLE] === undefined) return;
    const users = Object.entries(resources).filter(
      ([id, resource]) => id !== SHARED_ROLE && referencesRole([resource.Properties, resource.DependsOn]),
    );
    const functionsUsing = users.filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
    if (functionsUsing.length > 0) return;
    delete resources[SHARED_ROLE];
    // Event source mappings depended on the shared role; they depend on their function's role instead.
    for (const [, resource] of users) {
      if (Array.isArray(resource.DependsOn)) resource.DependsOn = resource.DependsOn.filter((d) => d !== SHARED_ROLE);
      else if (resource.DependsOn === SHARED_ROLE) delete resource.DependsOn;
    }
  }
}

module.exports = LeastPrivilege;
