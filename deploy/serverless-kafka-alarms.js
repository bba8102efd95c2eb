'use strict';
/**
 * Alarms that follow the Kafka failure handling wherever it is declared, so that a mapping given an on-failure
 * destination in resources.extensions is watched without anyone remembering to add its alarms:
 * - per mapping with a destination: records delivered there (its retries were exhausted), and records that could
 *   not be delivered there (dropped);
 * - per dead-letter topic (every `kafka://` destination, and custom.kafkaAlarms.deadLetterTopics): messages written
 *   to it by anyone, from MSK's per-topic metrics (the cluster's monitoring must be PER_TOPIC_PER_BROKER).
 * Every alarm notifies custom.kafkaAlarms.topic (a CloudFormation reference to the SNS topic).
 */
const ALARM_PERIOD_SECONDS = 300;

const upperFirst = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const alphaNumeric = (text) => text.replace(/[^A-Za-z0-9]/g, '');

class KafkaAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.addAlarms() };
  }

  addAlarms() {
    const service = this.serverless.service;
    const settings = (service.custom && service.custom.kafkaAlarms) || {};
    if (settings.topic === undefined) return;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const extensions = (service.resources && service.resources.extensions) || {};
    const deadLetterTopics = new Set(settings.deadLetterTopics || []);
    const alarm = (properties) => ({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [settings.topic],
        ...properties,
      },
    });
    const perMapping = (mappingId, metric) => ({
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: mappingId } }],
      Statistic: 'Sum',
      Period: ALARM_PERIOD_SECONDS,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });

    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
      const properties = { ...resource.Properties, ...((extensions[id] && extensions[id].Properties) || {}) };
      const destination =
        properties.DestinationConfig &&
        properties.DestinationConfig.OnFailure &&
        properties.DestinationConfig.OnFailure.Destination;
      if (typeof destination !== 'string') continue;
      if (destination.startsWith('kafka://')) deadLetterTopics.add(destination.slice('kafka://'.length));
      const source = (properties.Topics || []).join(', ');
      resources[`${id}OnFailureDeliveredAlarm`] = alarm({
        AlarmDescription: `The mapping of ${source} gave up on records and sent them to ${destination}`,
        ...perMapping(id, 'OnFailureDestinationDeliveredEventCount'),
      });
      resources[`${id}OnFailureDeliveryErrorsAlarm`] = alarm({
        AlarmDescription: `The mapping of ${source} could not write failed records to ${destination}: they were dropped`,
        ...perMapping(id, 'OnFailureDestinationDeliveryErrorCount'),
      });
    }

    for (const topic of [...deadLetterTopics].sort()) {
      resources[`DeadLetterTopic${upperFirst(alphaNumeric(topic))}Alarm`] = alarm({
        AlarmDescription: `Messages were written to the dead-letter topic ${topic}`,
        Metrics: [
          {
            Id: 'deadLettered',
            Period: ALARM_PERIOD_SECONDS,
            ReturnData: true,
            Expression: {
              'Fn::Join': [
                '',
                [
                  'SELECT SUM(MessagesInPerSec) FROM SCHEMA("AWS/Kafka", "Broker ID", "Cluster Name", Topic) WHERE "Cluster Name" = \'',
                  settings.clusterName,
                  `' AND Topic = '${topic}'`,
                ],
              ],
            },
          },
        ],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  }
}

module.exports = KafkaAlarms;
